import Collectors

/// A `GraphLayout` drawn once into a grid of its own size (boxes, box-drawing lines that join
/// where they meet, arrows and labels), so that a frame only copies the part on screen: the
/// layout changes with a poll, the frame with every key.
struct GraphPicture: Equatable, Sendable {
    let layout: GraphLayout
    private(set) var grid: Grid

    /// Directions a line leaves a cell in.
    private static let up: UInt8 = 1
    private static let down: UInt8 = 2
    private static let left: UInt8 = 4
    private static let right: UInt8 = 8

    static func style(_ severity: GraphLayout.Severity) -> Style {
        switch severity {
        case .plain: Style(color: .gray)
        case .warn: Style(color: .yellow, bold: true)
        case .bad: Style(color: .red, bold: true)
        }
    }

    init(_ layout: GraphLayout) {
        self.layout = layout
        var grid = Grid(width: layout.width + 1, height: layout.height + 1)
        let width = grid.width
        var mask = [UInt8](repeating: 0, count: grid.width * grid.height)
        var severity = [Int8](repeating: -1, count: grid.width * grid.height)
        func mark(_ x: Int, _ y: Int, _ bits: UInt8, _ level: GraphLayout.Severity) {
            guard x >= 0, y >= 0, x < grid.width, y < grid.height else { return }
            mask[y * width + x] |= bits
            severity[y * width + x] = max(severity[y * width + x], Int8(level.rawValue))
        }
        for route in layout.routes {
            for (a, b) in zip(route.points, route.points.dropFirst()) {
                if a.y == b.y {
                    let (from, to) = (min(a.x, b.x), max(a.x, b.x))
                    for x in from...to { mark(x, a.y, (x > from ? Self.left : 0) | (x < to ? Self.right : 0), route.severity) }
                } else {
                    let (from, to) = (min(a.y, b.y), max(a.y, b.y))
                    for y in from...to { mark(a.x, y, (y > from ? Self.up : 0) | (y < to ? Self.down : 0), route.severity) }
                }
            }
        }
        for y in 0..<grid.height {
            for x in 0..<grid.width where mask[y * width + x] != 0 {
                let level = GraphLayout.Severity(rawValue: Int(severity[y * width + x])) ?? .plain
                grid.set(Cell(scalar: Self.junction(mask[y * width + x]), width: 1, style: Self.style(level)), x: x, y: y)
            }
        }
        for box in layout.boxes {
            Frame.box(into: &grid, x: box.x, y: box.y, width: box.width, height: box.height, title: nil, style: .frame)
            grid.put(box.title, x: box.x + 2, y: box.y + 1, style: .title)
            var row = box.y + 2
            if let members = box.members {
                grid.put("\(members) workload\(members == 1 ? "" : "s")", x: box.x + 2, y: row, style: .dimmed)
                row += 1
            }
            if let rate = box.selfRate { grid.put("↻ " + Format.rate(rate) + "/s", x: box.x + 2, y: row, style: .dimmed) }
        }
        for route in layout.routes {
            let style = Self.style(route.severity)
            if let start = route.points.first { grid.put("├", x: start.x, y: start.y, style: .frame) }
            grid.put(route.backwards ? "◀" : "▶", x: route.arrowAt.x, y: route.arrowAt.y, style: style)
            grid.draw(route.label, x: route.labelAt.x, y: route.labelAt.y, limit: GraphLayout.columns(route.label))
        }
        self.grid = grid
    }

    private static func junction(_ bits: UInt8) -> Unicode.Scalar {
        switch bits {
        case up | down, up, down: "│"
        case right | down: "┌"
        case left | down: "┐"
        case right | up: "└"
        case left | up: "┘"
        case up | down | right: "├"
        case up | down | left: "┤"
        case left | right | down: "┬"
        case left | right | up: "┴"
        case up | down | left | right: "┼"
        default: "─"
        }
    }

    /// The picture as text, one string a row, trailing blanks dropped: `snapshot --graph`
    /// and the golden tests.
    var lines: [String] {
        let rows = (0..<grid.height).map { y in
            var text = ""
            for cell in grid.row(y) { text += grid.text(of: cell) }
            while text.last == " " { text.removeLast() }
            return text
        }
        return Array(rows.reversed().drop { $0.isEmpty }.reversed())
    }

    /// Copies the part of the picture from `origin` into `target`'s rectangle; the selected
    /// node's name is drawn reversed.
    func draw(into target: inout Grid, x: Int, y: Int, width: Int, height: Int, origin: GraphLayout.Point, selected: String?) {
        let box = selected.flatMap(layout.box)
        for row in 0..<height {
            let sourceY = origin.y + row
            guard sourceY >= 0, sourceY < grid.height, y + row < target.height else { continue }
            for column in 0..<width {
                let sourceX = origin.x + column
                guard sourceX >= 0, sourceX < grid.width, x + column < target.width else { continue }
                var cell = grid[sourceX, sourceY]
                // Half a wide glyph at either edge of the view is a blank.
                if cell.width == 0, column == 0 { cell = .blank }
                if cell.width == 2, column == width - 1 { cell = .blank }
                if let box, sourceY == box.y + 1, sourceX > box.x, sourceX < box.x + box.width - 1 { cell.style.reverse = true }
                if cell.cluster >= 0 {
                    target.put(grid.text(of: cell), x: x + column, y: y + row, style: cell.style, limit: 2)
                } else {
                    target.set(cell, x: x + column, y: y + row)
                }
            }
        }
    }
}
