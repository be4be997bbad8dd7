import CNCurses
import Glibc
import Synchronization

/// The only place meshtop talks to ncurses: it takes the terminal over, draws a `Grid`,
/// reads keys, and gives the terminal back on every way out.
///
/// The UI thread draws while the key reader reads: ncurses is not thread-safe, so every
/// call into it after `init` holds `curses`.
final class Terminal: @unchecked Sendable {
    /// ncurses' own version string, e.g. "ncurses 6.4.20221231".
    static var libraryVersion: String { String(cString: curses_version()) }

    enum Colors: Equatable { case none, eight, many }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var colors: Colors = .none
    private var screen: OpaquePointer?
    private var input: UnsafeMutablePointer<FILE>?
    private var restored = false
    private let curses = Mutex(())
    /// Where keys come from: stdin, or /dev/tty when stdin is a pipe.
    let inputDescriptor: Int32
    /// What is on the screen now: rows that did not change are not handed to curses again.
    private var shown: Grid?

    /// Whether a fatal signal must restore the terminal before the process dies.
    nonisolated(unsafe) private static var active: sig_atomic_t = 0

    init(color: Bool) throws {
        guard isatty(STDOUT_FILENO) != 0 else {
            throw Failure(description: "the dashboard needs a terminal on stdout; try `meshtop snapshot` or `meshtop logs`")
        }
        mt_setlocale_all()
        // With stdin a pipe (`--logs -`), keys are read from the controlling terminal.
        if isatty(STDIN_FILENO) == 0 {
            guard let tty = fopen("/dev/tty", "r") else { throw Failure(description: "no terminal to read keys from (/dev/tty)") }
            input = tty
            inputDescriptor = fileno(tty)
        } else {
            inputDescriptor = STDIN_FILENO
        }
        guard let screen = newterm(nil, mt_stdout(), input ?? mt_stdin()) else {
            let term = getenv("TERM").map { String(cString: $0) } ?? ""
            throw Failure(description: "cannot start the terminal (TERM=\(term))")
        }
        self.screen = screen
        set_term(screen)
        Self.active = 1
        Self.installFatalHandlers()
        cbreak()
        noecho()
        keypad(mt_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        // Keys are read only when poll(2) says some are there, never waited for in curses.
        wtimeout(mt_stdscr(), 0)
        if color, has_colors() {
            start_color()
            use_default_colors()
            colors = mt_colors() >= 256 ? .many : .eight
            for (index, color) in Self.palette.enumerated() {
                init_pair(Int16(index + 1), Int16(colors == .many ? color.many : color.eight), -1)
            }
        }
    }

    deinit { restoreLocked() }

    /// The foreground of each `Style.Color`, in 256 colours and in 8.
    private static let palette: [(color: Style.Color, many: Int32, eight: Int32)] = [
        (.red, 203, COLOR_RED), (.yellow, 221, COLOR_YELLOW), (.green, 114, COLOR_GREEN), (.cyan, 80, COLOR_CYAN),
        (.blue, 75, COLOR_BLUE), (.magenta, 176, COLOR_MAGENTA), (.gray, 245, COLOR_WHITE),
    ]

    var size: (width: Int, height: Int) { curses.withLock { _ in currentSize } }

    private var currentSize: (width: Int, height: Int) {
        var rows: Int32 = 0
        var columns: Int32 = 0
        mt_getmaxyx(mt_stdscr(), &rows, &columns)
        return (Int(columns), Int(rows))
    }

    /// Every key that has arrived, without waiting; a resize is a key too (ncurses turns
    /// SIGWINCH into one).
    func readKeys() -> [Key] {
        curses.withLock { _ in
            guard !restored else { return [] }
            var keys: [Key] = []
            while let key = readKey() { keys.append(key) }
            return keys
        }
    }

    /// The next key read, nil when none is waiting (an unknown key is skipped).
    private func readKey() -> Key? {
        while true {
            var value: wint_t = 0
            let result = wget_wch(mt_stdscr(), &value)
            if result == ERR { return nil }
            if let key = Self.key(result, value) { return key }
        }
    }

    private static func key(_ result: Int32, _ value: wint_t) -> Key? {
        if result == KEY_CODE_YES {
            switch Int32(value) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_BTAB: return .backTab
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case mt_key_resize(): return .resize
            default: return nil
            }
        }
        guard result == OK else { return nil }
        switch value {
        case 3: return .interrupt
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        default: return Unicode.Scalar(UInt32(value)).map { .character(Character($0)) }
        }
    }

    /// Draws the grid and updates the screen; ncurses sends only what changed.
    func draw(_ grid: Grid) {
        curses.withLock { _ in
            guard !restored else { return }
            drawLocked(grid)
        }
    }

    private func drawLocked(_ grid: Grid) {
        let window = mt_stdscr()
        let (width, height) = currentSize
        var row: [cchar_t] = []
        row.reserveCapacity(grid.width)
        let same = shown.map { $0.width == grid.width && $0.height == grid.height && width == grid.width } ?? false
        for y in 0..<min(height, grid.height) {
            if same, let shown, shown.row(y) == grid.row(y), !grid.row(y).contains(where: { $0.cluster >= 0 }) { continue }
            row.removeAll(keepingCapacity: true)
            for cell in grid.row(y).prefix(width) where cell.width > 0 {
                append(cell, text: cell.cluster >= 0 ? grid.text(of: cell) : nil, to: &row)
            }
            _ = row.withUnsafeBufferPointer { mvwadd_wchnstr(window, Int32(y), 0, $0.baseAddress, Int32($0.count)) }
        }
        wnoutrefresh(window)
        doupdate()
        shown = grid
    }

    /// Gives the terminal back: cursor, echo, the main screen. Safe to call twice.
    func restore() {
        curses.withLock { _ in restoreLocked() }
    }

    private func restoreLocked() {
        guard !restored else { return }
        restored = true
        Self.active = 0
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        if let input { fclose(input) }
        input = nil
    }

    /// The wide characters of one cell, NUL-terminated, reused for every cell of a frame.
    private var text: [wchar_t] = Array(repeating: 0, count: 6)
    /// The last style's curses attributes: neighbouring cells mostly share one.
    private var lastStyle: Style?
    private var lastLook: (attributes: attr_t, pair: Int16) = (0, 0)

    private func look(_ style: Style) -> (attributes: attr_t, pair: Int16) {
        if style == lastStyle { return lastLook }
        var attributes = mt_a_normal()
        if style.bold { attributes |= mt_a_bold() }
        if style.dim { attributes |= mt_a_dim() }
        if style.reverse { attributes |= mt_a_reverse() }
        if style.underline { attributes |= mt_a_underline() }
        var pair: Int16 = 0
        if colors != .none, let color = style.color, let index = Self.palette.firstIndex(where: { $0.color == color }) {
            pair = Int16(index + 1)
            if colors == .eight, color == .gray { attributes |= mt_a_dim() }
        }
        lastStyle = style
        lastLook = (attributes, pair)
        return lastLook
    }

    private func append(_ cell: Cell, text cluster: String?, to row: inout [cchar_t]) {
        let (attributes, pair) = look(cell.style)
        var count = 0
        if let cluster {
            for scalar in cluster.unicodeScalars.prefix(5) {
                text[count] = wchar_t(bitPattern: scalar.value)
                count += 1
            }
        } else {
            text[0] = wchar_t(bitPattern: cell.scalar.value)
            count = 1
        }
        // A glyph the C library measures differently from the grid would shift the rest of
        // the row: it is drawn as question marks of the grid's width instead.
        var repeats = 1
        if Int(mt_wcwidth(text[0])) != cell.width {
            text[0] = 63
            count = 1
            repeats = max(1, cell.width)
        }
        text[count] = 0
        if count == 1 {
            // One scalar, nearly every cell: the struct is filled as setcchar would fill it,
            // without its checks (a full frame is 10,000 cells).
            var character = cchar_t()
            character.attr = attributes | mt_color_pair(Int32(pair))
            character.chars = (text[0], 0, 0, 0, 0)
            character.ext_color = Int32(pair)
            for _ in 0..<repeats { row.append(character) }
            return
        }
        var character = cchar_t()
        setcchar(&character, &text, attributes, pair, nil)
        row.append(character)
    }

    /// A crash while curses owns the screen would leave the terminal raw and invisible:
    /// the handler puts it back, then lets the signal kill the process as it would have.
    private static func installFatalHandlers() {
        for signal in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            Glibc.signal(signal) { number in
                if Terminal.active != 0 {
                    Terminal.active = 0
                    endwin()
                }
                Glibc.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}
