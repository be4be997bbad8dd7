import CNCurses
import Glibc

/// The only place meshtop talks to ncurses: it takes the terminal over, draws a `Grid`,
/// reads keys, and gives the terminal back on every way out.
final class Terminal {
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
        wtimeout(mt_stdscr(), 100)
        if color, has_colors() {
            start_color()
            use_default_colors()
            colors = mt_colors() >= 256 ? .many : .eight
            for (index, color) in Self.palette.enumerated() {
                init_pair(Int16(index + 1), Int16(colors == .many ? color.many : color.eight), -1)
            }
        }
    }

    deinit { restore() }

    /// The foreground of each `Style.Color`, in 256 colours and in 8.
    private static let palette: [(color: Style.Color, many: Int32, eight: Int32)] = [
        (.red, 203, COLOR_RED), (.yellow, 221, COLOR_YELLOW), (.green, 114, COLOR_GREEN), (.cyan, 80, COLOR_CYAN),
        (.blue, 75, COLOR_BLUE), (.magenta, 176, COLOR_MAGENTA), (.gray, 245, COLOR_WHITE),
    ]

    var size: (width: Int, height: Int) {
        var rows: Int32 = 0
        var columns: Int32 = 0
        mt_getmaxyx(mt_stdscr(), &rows, &columns)
        return (Int(columns), Int(rows))
    }

    /// Waits up to 100 ms for a key.
    func readKey() -> Key? {
        var value: wint_t = 0
        let result = wget_wch(mt_stdscr(), &value)
        if result == KEY_CODE_YES {
            switch Int32(value) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
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
        let window = mt_stdscr()
        let (width, height) = size
        var row: [cchar_t] = []
        row.reserveCapacity(grid.width)
        for y in 0..<min(height, grid.height) {
            row.removeAll(keepingCapacity: true)
            for cell in grid.row(y).prefix(width) where cell.width > 0 {
                append(cell, text: cell.cluster >= 0 ? grid.text(of: cell) : nil, to: &row)
            }
            _ = row.withUnsafeBufferPointer { mvwadd_wchnstr(window, Int32(y), 0, $0.baseAddress, Int32($0.count)) }
        }
        wnoutrefresh(window)
        doupdate()
    }

    /// Gives the terminal back: cursor, echo, the main screen. Safe to call twice.
    func restore() {
        guard !restored else { return }
        restored = true
        Self.active = 0
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        if let input { fclose(input) }
        input = nil
    }

    private func append(_ cell: Cell, text cluster: String?, to row: inout [cchar_t]) {
        var attributes = mt_a_normal()
        if cell.style.bold { attributes |= mt_a_bold() }
        if cell.style.dim { attributes |= mt_a_dim() }
        if cell.style.reverse { attributes |= mt_a_reverse() }
        if cell.style.underline { attributes |= mt_a_underline() }
        var pair: Int16 = 0
        if colors != .none, let color = cell.style.color, let index = Self.palette.firstIndex(where: { $0.color == color }) {
            pair = Int16(index + 1)
            if colors == .eight, color == .gray { attributes |= mt_a_dim() }
        }
        // A glyph the C library measures differently from the grid would shift the rest of
        // the row: it is drawn as question marks of the grid's width instead.
        var scalars = cluster.map { Array($0.unicodeScalars.prefix(4)) } ?? [cell.scalar]
        if let first = scalars.first, Int(mt_wcwidth(wchar_t(bitPattern: first.value))) != cell.width {
            scalars = [Unicode.Scalar(UInt8(ascii: "?"))]
            for _ in 1..<max(1, cell.width) {
                var filler = cchar_t()
                var text: [wchar_t] = [63, 0]
                setcchar(&filler, &text, attributes, pair, nil)
                row.append(filler)
            }
        }
        var text = scalars.map { wchar_t(bitPattern: $0.value) } + [0]
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
