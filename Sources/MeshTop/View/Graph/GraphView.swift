import Collectors

/// `g`: the service graph in a box over the panels, the part of the picture the view is on,
/// the selected node reversed. What moving and panning need of the frame comes back in a
/// `GraphFrame`.
enum GraphView {
    static func draw(_ model: ScreenModel, _ state: UIState, into grid: inout Grid) -> Screen.GraphFrame {
        let width = grid.width
        let height = grid.height - 2
        let view = state.graph
        let picture = model.graph
        let layout = picture?.layout
        var title: Line = [Segment("Graph", .heading)]
        if let layout {
            let graph = layout.graph
            title.append(Segment("  \(graph.nodes.count) nodes · \(graph.edges.count) edges"))
            if !graph.members.isEmpty { title.append(Segment("  namespaces collapsed (c)", .dimmed)) }
            if let scope = view.scope { title.append(Segment("  ns " + ControlBytes.sanitize(scope, limit: 60), .title)) }
            if let filter = view.filter { title.append(Segment("  / " + ControlBytes.sanitize(filter.text, limit: 60), .title)) }
            if layout.droppedNodes > 0 { title.append(Segment("  \(layout.droppedNodes) nodes not drawn", .warn)) }
        }
        Frame.box(into: &grid, x: 0, y: 1, width: width, height: height, title: title, style: .focusedFrame)
        let viewWidth = max(0, width - 2)
        let viewHeight = max(0, height - 2)
        var frame = Screen.GraphFrame(
            boxes: layout?.boxes ?? [], viewWidth: viewWidth, viewHeight: viewHeight, extentWidth: picture?.grid.width ?? 0,
            extentHeight: picture?.grid.height ?? 0, origin: view.origin,
            namespaces: Array(Set((layout?.graph.nodes ?? []).map(ServiceGraph.namespace))).sorted())
        guard let picture, !(layout?.boxes.isEmpty ?? true) else {
            let why = view.filter != nil || view.scope != nil ? "no node matches the filter or the namespace (Esc, n)" : "no edges with traffic yet"
            grid.put(why, x: 2, y: 2, style: .dimmed, limit: viewWidth - 2)
            return frame
        }
        var origin = view.origin
        origin.x = max(0, min(origin.x, frame.extentWidth - viewWidth))
        origin.y = max(0, min(origin.y, frame.extentHeight - viewHeight))
        frame.origin = origin
        picture.draw(into: &grid, x: 1, y: 2, width: viewWidth, height: viewHeight, origin: origin, selected: view.selected)
        // Where the rest of the picture is, on the frame.
        if origin.x > 0 { grid.put("◀", x: 0, y: 2 + viewHeight / 2, style: .title) }
        if origin.x + viewWidth < frame.extentWidth { grid.put("▶", x: width - 1, y: 2 + viewHeight / 2, style: .title) }
        if origin.y > 0 { grid.put("▲", x: width / 2, y: 1, style: .title) }
        if origin.y + viewHeight < frame.extentHeight { grid.put("▼", x: width / 2, y: height, style: .title) }
        return frame
    }
}
