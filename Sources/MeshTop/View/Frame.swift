/// Box-drawing for panels: a top border, separators between stacked panels, sides, and a
/// bottom, each border carrying its panel's title.
enum Frame {
    enum Edge { case top, middle, bottom }

    /// "┌ Title ───┐", "├ Title ───┤" or "└───┘" across `width` columns.
    static func border(into grid: inout Grid, y: Int, x: Int = 0, width: Int, edge: Edge, title: Line?, style: Style) {
        guard width >= 2 else { return }
        let (left, right): (Unicode.Scalar, Unicode.Scalar) =
            switch edge {
            case .top: ("┌", "┐")
            case .middle: ("├", "┤")
            case .bottom: ("└", "┘")
            }
        grid.fill(Cell(scalar: left, width: 1, style: style), x: x, y: y, count: 1)
        grid.fill(Cell(scalar: "─", width: 1, style: style), x: x + 1, y: y, count: width - 2)
        grid.fill(Cell(scalar: right, width: 1, style: style), x: x + width - 1, y: y, count: 1)
        if let title, width > 6 {
            grid.draw([Segment(" ")] + title + [Segment(" ")], x: x + 1, y: y, limit: width - 4)
        }
    }

    /// "│" on both sides of a row, spaces between.
    static func sides(into grid: inout Grid, y: Int, x: Int = 0, width: Int, style: Style) {
        guard width >= 2 else { return }
        let side = Cell(scalar: "│", width: 1, style: style)
        grid.fill(side, x: x, y: y, count: 1)
        grid.fill(.blank, x: x + 1, y: y, count: width - 2)
        grid.fill(side, x: x + width - 1, y: y, count: 1)
    }

    /// A whole box, cleared inside.
    static func box(into grid: inout Grid, x: Int, y: Int, width: Int, height: Int, title: Line?, style: Style) {
        border(into: &grid, y: y, x: x, width: width, edge: .top, title: title, style: style)
        for row in (y + 1)..<(y + height - 1) { sides(into: &grid, y: row, x: x, width: width, style: style) }
        border(into: &grid, y: y + height - 1, x: x, width: width, edge: .bottom, title: nil, style: style)
    }
}
