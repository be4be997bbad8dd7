/// Box-drawing for panels: a top border, separators between stacked panels, sides, and a
/// bottom, each border carrying its panel's title.
enum Frame {
    enum Edge { case top, middle, bottom }

    /// "┌ Title ───┐", "├ Title ───┤" or "└───┘" across `width` columns.
    static func border(into grid: inout Grid, y: Int, x: Int = 0, width: Int, edge: Edge, title: Line?, style: Style) {
        guard width >= 2 else { return }
        let (left, right) =
            switch edge {
            case .top: ("┌", "┐")
            case .middle: ("├", "┤")
            case .bottom: ("└", "┘")
            }
        grid.put(left + String(repeating: "─", count: width - 2) + right, x: x, y: y, style: style)
        if let title, width > 6 {
            let used = grid.draw([Segment(" ")] + title + [Segment(" ")], x: x + 1, y: y, limit: width - 4)
            _ = used
        }
    }

    /// "│" on both sides of a row, spaces between.
    static func sides(into grid: inout Grid, y: Int, x: Int = 0, width: Int, style: Style) {
        guard width >= 2 else { return }
        grid.put("│" + String(repeating: " ", count: width - 2) + "│", x: x, y: y, style: style)
        grid.restyle(x: x + 1, y: y, width: width - 2) { _ in .plain }
    }

    /// A whole box, cleared inside.
    static func box(into grid: inout Grid, x: Int, y: Int, width: Int, height: Int, title: Line?, style: Style) {
        border(into: &grid, y: y, x: x, width: width, edge: .top, title: title, style: style)
        for row in (y + 1)..<(y + height - 1) { sides(into: &grid, y: row, x: x, width: width, style: style) }
        border(into: &grid, y: y + height - 1, x: x, width: width, edge: .bottom, title: nil, style: style)
    }
}
