import Collectors

/// How a cell looks. Colour is optional: without it, bold / reverse / underline / dim
/// carry the meaning (`--no-color`, NO_COLOR, a terminal without colours).
struct Style: Hashable, Sendable {
    enum Color: Hashable, Sendable { case red, yellow, green, cyan, blue, magenta, gray }

    var color: Color?
    var bold = false
    var reverse = false
    var underline = false
    var dim = false

    static let plain = Style()
}

/// One terminal cell: a grapheme and its display width. A width-2 glyph is followed by a
/// continuation cell (width 0) that draws nothing.
struct Cell: Hashable, Sendable {
    var text: String
    var width: Int
    var style: Style

    static let blank = Cell(text: " ", width: 1, style: .plain)
}

/// What a view draws into: a rectangle of cells, rendered by `Terminal` with ncurses and
/// compared with literal lines by the golden-grid tests.
struct Grid: Equatable, Sendable {
    let width: Int
    let height: Int
    private(set) var cells: [Cell]

    init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    mutating func set(_ cell: Cell, x: Int, y: Int) { cells[y * width + x] = cell }

    /// One row of cells, for `Terminal` to draw.
    func row(_ y: Int) -> ArraySlice<Cell> { cells[(y * width)..<((y + 1) * width)] }

    /// Writes `text` from column `x` of row `y`, at most `limit` columns (to the edge by
    /// default); returns the columns used. Outside bytes are sanitised first, and a wide
    /// glyph that would cross the limit becomes a space: a glyph is never split.
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height, x >= 0, x < width else { return 0 }
        let end = min(width, x + (limit ?? width))
        var column = x
        for character in ControlBytes.sanitize(text) {
            let glyphWidth = DisplayWidth.of(character)
            guard glyphWidth > 0 else { continue }
            guard column + glyphWidth <= end else {
                if column < end { cells[y * width + column] = Cell(text: " ", width: 1, style: style) }
                column = end
                break
            }
            // A wide glyph partly overwritten leaves no orphan half behind.
            clearHalf(at: column, y: y)
            cells[y * width + column] = Cell(text: String(character), width: glyphWidth, style: style)
            if glyphWidth == 2 {
                clearHalf(at: column + 1, y: y)
                cells[y * width + column + 1] = Cell(text: "", width: 0, style: style)
            }
            column += glyphWidth
        }
        return column - x
    }

    private mutating func clearHalf(at x: Int, y: Int) {
        let index = y * width + x
        if cells[index].width == 0, x > 0 { cells[index - 1] = .blank }
        if cells[index].width == 2, x + 1 < width { cells[index + 1] = .blank }
    }

    /// The rows as text, trailing spaces kept: what the golden tests compare.
    var lines: [String] {
        (0..<height).map { y in (0..<width).map { self[$0, y].text }.joined() }
    }
}

/// Columns a grapheme takes in a terminal. Decided from its first scalar with the wide
/// ranges of Unicode's East Asian Width (W, F) and emoji presentation, so it does not
/// depend on the locale the tests or the user run in.
enum DisplayWidth {
    static func of(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark {
            return 0
        }
        if scalar.properties.isEmojiPresentation || character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) {
            return 2
        }
        for range in wide where range.contains(value) { return 2 }
        return 1
    }

    static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
