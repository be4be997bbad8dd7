/// A run of text in one style; a screen line is a list of them.
struct Segment: Equatable, Sendable {
    var text: String
    var style: Style

    init(_ text: String, _ style: Style = .plain) {
        self.text = text
        self.style = style
    }
}

typealias Line = [Segment]

extension Grid {
    /// Draws a line of segments from column `x`, clipped at `limit` columns; returns the
    /// columns used.
    @discardableResult
    mutating func draw(_ line: Line, x: Int, y: Int, limit: Int, style override: ((Style) -> Style)? = nil) -> Int {
        var used = 0
        for segment in line where used < limit {
            used += put(segment.text, x: x + used, y: y, style: override?(segment.style) ?? segment.style, limit: limit - used)
        }
        return used
    }

    /// Sets the style of a run of cells, keeping their text (a selected row).
    mutating func restyle(x: Int, y: Int, width: Int, _ change: (Style) -> Style) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(self.width, x + width) {
            var cell = self[column, y]
            cell.style = change(cell.style)
            set(cell, x: column, y: y)
        }
    }
}
