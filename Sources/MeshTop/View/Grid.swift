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
/// continuation cell (width 0) that draws nothing. A plain value (no references), so a
/// grid of 17,000 cells is built and copied without reference counting; the rare grapheme
/// of several scalars (a flag, a ZWJ emoji, an accent) lives in its grid's `clusters`.
struct Cell: Hashable, Sendable {
    var scalar: Unicode.Scalar
    /// Where the whole grapheme is in `Grid.clusters`, or -1 when it is `scalar` alone.
    var cluster: Int32 = -1
    var width: Int
    var style: Style

    init(scalar: Unicode.Scalar, width: Int, style: Style, cluster: Int32 = -1) {
        self.scalar = scalar
        self.cluster = cluster
        self.width = width
        self.style = style
    }

    static let blank = Cell(scalar: " ", width: 1, style: .plain)
    static let continuation = Cell(scalar: "\u{0}", width: 0, style: .plain)
}

/// What a view draws into: a rectangle of cells, rendered by `Terminal` with ncurses and
/// compared with literal lines by the golden-grid tests.
struct Grid: Equatable, Sendable {
    let width: Int
    let height: Int
    private(set) var cells: [Cell]
    private(set) var clusters: [String] = []

    init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    mutating func set(_ cell: Cell, x: Int, y: Int) { cells[y * width + x] = cell }

    /// One row of cells, for `Terminal` to draw.
    func row(_ y: Int) -> ArraySlice<Cell> { cells[(y * width)..<((y + 1) * width)] }

    /// The grapheme a cell shows ("" for the right half of a wide glyph).
    func text(of cell: Cell) -> String {
        if cell.width == 0 { return "" }
        return cell.cluster >= 0 ? clusters[Int(cell.cluster)] : String(cell.scalar)
    }

    /// Writes `text` from column `x` of row `y`, at most `limit` columns (to the edge by
    /// default); returns the columns used. Outside bytes are sanitised first, and a wide
    /// glyph that would cross the limit becomes a space: a glyph is never split.
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height, x >= 0, x < width else { return 0 }
        let end = min(width, x + (limit ?? width))
        if let used = putASCII(text, x: x, y: y, style: style, end: end) { return used }
        if DisplayWidth.simpleColumns(text) != nil {
            // One cell per scalar: no grapheme breaking, nothing to sanitise.
            var column = x
            for scalar in text.unicodeScalars {
                guard column < end else { break }
                clearHalf(at: column, y: y)
                cells[y * width + column] = Cell(scalar: scalar, width: 1, style: style)
                column += 1
            }
            return column - x
        }
        var column = x
        for character in ControlBytes.sanitize(text) {
            let glyphWidth = DisplayWidth.of(character)
            guard glyphWidth > 0 else { continue }
            guard column + glyphWidth <= end else {
                if column < end { cells[y * width + column] = Cell(scalar: " ", width: 1, style: style) }
                column = end
                break
            }
            // A wide glyph partly overwritten leaves no orphan half behind.
            clearHalf(at: column, y: y)
            let scalars = character.unicodeScalars
            var cluster: Int32 = -1
            if scalars.count > 1 {
                cluster = Int32(clusters.count)
                clusters.append(String(character))
            }
            cells[y * width + column] = Cell(scalar: scalars.first ?? " ", width: glyphWidth, style: style, cluster: cluster)
            if glyphWidth == 2 {
                clearHalf(at: column + 1, y: y)
                var half = Cell.continuation
                half.style = style
                cells[y * width + column + 1] = half
            }
            column += glyphWidth
        }
        return column - x
    }

    /// Printable ASCII, most of any screen: one cell per byte, nothing to sanitise or measure.
    private mutating func putASCII(_ text: String, x: Int, y: Int, style: Style, end: Int) -> Int? {
        var text = text
        return text.withUTF8 { bytes -> Int? in
            for byte in bytes where byte < 0x20 || byte >= 0x7F { return nil }
            let count = min(bytes.count, end - x)
            guard count > 0 else { return 0 }
            clearHalf(at: x, y: y)
            clearHalf(at: x + count - 1, y: y)
            let base = y * width + x
            for index in 0..<count {
                cells[base + index] = Cell(scalar: Unicode.Scalar(bytes[index]), width: 1, style: style)
            }
            return count
        }
    }

    /// The same cell across `count` columns (borders, blank rows).
    mutating func fill(_ cell: Cell, x: Int, y: Int, count: Int) {
        guard y >= 0, y < height, cell.width == 1 else { return }
        let from = max(0, x)
        let to = min(width, x + count)
        guard from < to else { return }
        clearHalf(at: from, y: y)
        clearHalf(at: to - 1, y: y)
        for column in from..<to { cells[y * width + column] = cell }
    }

    private mutating func clearHalf(at x: Int, y: Int) {
        let index = y * width + x
        if cells[index].width == 0, x > 0 { cells[index - 1] = .blank }
        if cells[index].width == 2, x + 1 < width { cells[index + 1] = .blank }
    }

    /// The rows as text, trailing spaces kept: what the golden tests compare.
    var lines: [String] {
        (0..<height).map { y in row(y).map { text(of: $0) }.joined() }
    }
}

/// Columns a grapheme takes in a terminal. Decided from its first scalar with the wide
/// ranges of Unicode's East Asian Width (W, F) and emoji presentation, so it does not
/// depend on the locale the tests or the user run in.
enum DisplayWidth {
    static func of(_ character: Character) -> Int {
        // Most of a screen is ASCII and box drawing: those skip the Unicode property tables.
        if let ascii = character.asciiValue { return ascii >= 0x20 && ascii != 0x7F ? 1 : 0 }
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        if (0x2500...0x259F).contains(value), character.unicodeScalars.count == 1 { return 1 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark {
            return 0
        }
        if scalar.properties.isEmojiPresentation || character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) {
            return 2
        }
        for range in wide where range.contains(value) { return 2 }
        return 1
    }

    static func of(_ text: String) -> Int {
        if let columns = simpleColumns(text) { return columns }
        return text.reduce(0) { $0 + of($1) }
    }

    /// Scalars that are a whole grapheme of one column wherever they stand, and need no
    /// sanitising: printable ASCII and Latin-1, general punctuation (… • ‼), arrows,
    /// box drawing and the sparkline blocks. A screen is almost all of these.
    @inline(__always)
    static func isSimple(_ value: UInt32) -> Bool {
        (0x20..<0x7F).contains(value) || (0xA0..<0x300).contains(value) || (0x2010...0x205F).contains(value)
            || (0x2190...0x21FF).contains(value) || (0x2500...0x25FC).contains(value)
    }

    /// The columns of a string made only of simple scalars (one per scalar), else nil.
    static func simpleColumns(_ text: String) -> Int? {
        var ascii = true
        for byte in text.utf8 where byte < 0x20 || byte >= 0x7F {
            ascii = false
            break
        }
        if ascii { return text.utf8.count }
        var count = 0
        for scalar in text.unicodeScalars {
            guard isSimple(scalar.value) else { return nil }
            count += 1
        }
        return count
    }

    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
