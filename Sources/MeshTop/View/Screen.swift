/// The whole dashboard as a pure function of what is known and what the user chose:
/// `render(model, state, width, height)` → a grid, plus what key handling needs to know
/// about the frame (how many rows each panel has, what each row opens).
enum Screen {
    static let minimumWidth = 60
    static let minimumHeight = 15

    struct Rendered: Sendable {
        var grid: Grid
        var rowCounts: [UIState.Panel: Int] = [:]
        var pageRows: [UIState.Panel: Int] = [:]
        var items: [UIState.Panel: PanelContent.Items] = [:]
        /// The graph view: its boxes, the view's size and the picture's, and where the view is.
        var graph: GraphFrame?
    }

    struct GraphFrame: Sendable {
        var boxes: [GraphLayout.Box]
        var viewWidth: Int
        var viewHeight: Int
        var extentWidth: Int
        var extentHeight: Int
        var origin: GraphLayout.Point
        var namespaces: [String]
    }

    static func render(_ model: ScreenModel, _ state: UIState, width: Int, height: Int) -> Rendered {
        var grid = Grid(width: width, height: height)
        guard width >= minimumWidth, height >= minimumHeight else {
            grid.put("terminal too small: \(width)×\(height), meshtop needs \(minimumWidth)×\(minimumHeight)", x: 0, y: 0, style: .warn)
            return Rendered(grid: grid)
        }
        grid.draw(HeaderLine.line(model, state, width: width), x: 0, y: 0, limit: width)
        grid.draw(footer(state), x: 0, y: height - 1, limit: width)
        if state.detail == .graph {
            var rendered = Rendered(grid: grid)
            rendered.graph = GraphView.draw(model, state, into: &grid)
            if state.help { HelpOverlay.draw(into: &grid, table: KeyBinding.graph) }
            rendered.grid = grid
            return rendered
        }
        if let detail = state.detail {
            drawDetail(detail, model, state, into: &grid)
            return Rendered(grid: grid)
        }
        var rendered = drawPanels(model, state, into: &grid)
        if state.help { HelpOverlay.draw(into: &grid, replaying: state.replaying) }
        rendered.grid = grid
        return rendered
    }

    private static func content(_ panel: UIState.Panel, _ model: ScreenModel, _ state: UIState, width: Int) -> PanelContent {
        switch panel {
        case .traffic: TrafficPanel.content(model, state, width: width)
        case .etcd: EtcdPanel.content(model, state, width: width, focused: state.focus == .etcd)
        case .requests: RequestsPanel.content(model, state, width: width)
        case .load: LoadPanel.content(model, width: width)
        }
    }

    private static func drawPanels(_ model: ScreenModel, _ state: UIState, into grid: inout Grid) -> Rendered {
        let width = grid.width
        let inner = width - 4
        let panels = state.panels
        let contents = panels.map { content($0, model, state, width: inner) }
        let available = grid.height - 2 - (panels.count + 1)
        guard let heights = allocate(contents, panels: panels, rows: available, fillRequests: model.requests != nil) else {
            grid.put("terminal too small for every panel", x: 1, y: 2, style: .warn)
            return Rendered(grid: grid)
        }
        var rendered = Rendered(grid: grid)
        var y = 1
        for (index, panel) in panels.enumerated() {
            let content = contents[index]
            let focused = state.focus == panel
            let rows = heights[index]
            let headed = content.header != nil && rows > 1
            let visible = headed ? rows - 1 : rows
            let selected = min(state.selected(panel), max(0, content.items.count - 1))
            let selectedLine = content.itemLines.indices.contains(selected) ? content.itemLines[selected] : 0
            let offset = selectedLine >= visible ? selectedLine - visible + 1 : 0
            var title = content.title
            if focused, !title.isEmpty { title[0].style = Style(color: .cyan, bold: true, reverse: true) }
            if content.countsRows, content.lineCount > visible, visible > 0 {
                let last = min(content.lineCount, offset + visible)
                title.append(Segment("  rows \(offset + 1)–\(last) of \(content.lineCount)", .dimmed))
            }
            Frame.border(into: &grid, y: y, width: width, edge: index == 0 ? .top : .middle, title: title, style: .frame)
            y += 1
            for row in 0..<rows { Frame.sides(into: &grid, y: y + row, width: width, style: .frame) }
            let fade: ((Style) -> Style)? = content.faded ? { $0.faded } : nil
            let bodyY = headed ? y + 1 : y
            if let header = content.header, headed { grid.draw(header, x: 2, y: y, limit: inner, style: fade) }
            if content.lineCount == 0, let empty = content.empty {
                grid.draw(empty, x: 2, y: bodyY, limit: inner, style: fade)
            } else {
                for row in 0..<max(0, min(visible, content.lineCount - offset)) {
                    grid.draw(content.line(offset + row), x: 2, y: bodyY + row, limit: inner, style: fade)
                    if focused, content.highlightsLine, !content.items.isEmpty, row + offset == selectedLine {
                        grid.restyle(x: 1, y: bodyY + row, width: width - 2) { style in
                            var selected = style
                            selected.reverse = true
                            return selected
                        }
                    }
                }
            }
            rendered.rowCounts[panel] = content.items.count
            rendered.pageRows[panel] = max(1, visible)
            rendered.items[panel] = content.items
            y += rows
        }
        Frame.border(into: &grid, y: y, width: width, edge: .bottom, title: nil, style: .frame)
        return rendered
    }

    /// Rows for each panel: each gets its minimum, etcd and Load what they want, Traffic
    /// what it wants up to half of what is left when there are requests to show, and the
    /// Requests panel the rest (Traffic when there are no logs).
    static func allocate(_ contents: [PanelContent], panels: [UIState.Panel], rows: Int, fillRequests: Bool) -> [Int]? {
        var heights = contents.map(\.minimum)
        var left = rows - heights.reduce(0, +)
        guard left >= 0 else { return nil }
        func grow(_ panel: UIState.Panel, upTo cap: Int) {
            guard let index = panels.firstIndex(of: panel) else { return }
            let take = max(0, min(left, cap - heights[index]))
            heights[index] += take
            left -= take
        }
        for panel in [UIState.Panel.etcd, .load] {
            if let index = panels.firstIndex(of: panel) { grow(panel, upTo: min(contents[index].wanted, 6)) }
        }
        if let traffic = panels.firstIndex(of: .traffic) {
            let cap = fillRequests ? max(contents[traffic].minimum, heights[traffic] + left / 2) : Int.max
            grow(.traffic, upTo: min(contents[traffic].wanted, cap))
        }
        grow(.requests, upTo: fillRequests ? Int.max : contents[panels.firstIndex(of: .requests) ?? 0].wanted)
        if let last = panels.firstIndex(of: fillRequests ? .requests : .traffic) ?? panels.indices.last { heights[last] += left }
        return heights
    }

    private static func footer(_ state: UIState) -> Line {
        if let prompt = state.prompt {
            let label = state.promptKind == .time ? " go to (+1m30s, 15:04:05, RFC 3339) " : state.promptKind == .graphFilter ? " graph / " : " / "
            var line: Line = [Segment(label, .title), Segment(prompt), Segment("▏", .title), Segment("   Enter apply · Esc cancel", .dimmed)]
            if let error = state.promptError { line.append(Segment("   " + error, .warn)) }
            return line
        }
        var table = state.detail == .graph ? KeyBinding.graph : state.detail != nil ? KeyBinding.details : KeyBinding.panels
        if state.replaying, state.detail == nil {
            table = KeyBinding.replay + table.filter { KeyBinding.find($0.keys[0], in: KeyBinding.replay) == nil }
        }
        let keys = table.compactMap(\.footer)
        var line: Line = [Segment(" ")]
        for (key, word) in keys { line += [Segment(" " + key, .title), Segment(" " + word + " ", .dimmed)] }
        return line
    }

    private static func drawDetail(_ detail: UIState.Detail, _ model: ScreenModel, _ state: UIState, into grid: inout Grid) {
        let width = grid.width
        let (title, lines) = DetailView.lines(detail, model, width: width - 4)
        let height = grid.height - 2
        Frame.box(into: &grid, x: 0, y: 1, width: width, height: height, title: [Segment(title, .heading)], style: .focusedFrame)
        let visible = height - 2
        let offset = min(state.detailScroll, max(0, lines.count - visible))
        for (row, line) in lines.dropFirst(offset).prefix(visible).enumerated() {
            grid.draw(line, x: 2, y: 2 + row, limit: width - 4)
        }
    }
}
