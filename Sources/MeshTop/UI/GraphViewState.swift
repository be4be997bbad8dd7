/// What the user chose in the graph view (`g`): the selected node, where the view is in the
/// picture, the filter, the namespace and whether namespaces are collapsed; and, from the last
/// frame, the boxes and sizes that moving and panning need. Changed by `UIState` only.
struct GraphViewState: Equatable, Sendable {
    var selected: String?
    /// The picture's cell at the view's top left.
    var origin = GraphLayout.Point(x: 0, y: 0)
    /// nil: collapsed when the mesh has more than `GraphCache.collapseAbove` workloads.
    var collapsed: Bool?
    var filter: TextFilter?
    var scope: String?
    /// The namespaces `n` cycles through, from the graph on screen when the key came.
    var namespaces: [String] = []

    // From the last frame.
    var boxes: [GraphLayout.Box] = []
    var viewWidth = 0
    var viewHeight = 0
    var extentWidth = 0
    var extentHeight = 0
    /// Whether the graph on screen came out collapsed by size (`collapsed` nil).
    var autoCollapsed = false

    enum Move: Sendable { case up, down, left, right }

    /// What the last frame showed: its boxes and sizes, and where the view ended up.
    mutating func took(_ frame: Screen.GraphFrame) {
        boxes = frame.boxes
        viewWidth = frame.viewWidth
        viewHeight = frame.viewHeight
        extentWidth = frame.extentWidth
        extentHeight = frame.extentHeight
        origin = frame.origin
        namespaces = frame.namespaces
        if let selected, !boxes.contains(where: { $0.node == selected }) { self.selected = nil }
        if selected == nil { selected = boxes.min { ($0.layer, $0.y) < ($1.layer, $1.y) }?.node }
    }

    /// The next node in that direction: up and down within the column, left and right to the
    /// nearest node of the next column that has one.
    mutating func move(_ direction: Move) {
        guard let current = boxes.first(where: { $0.node == selected }) else {
            selected = boxes.min { ($0.layer, $0.y) < ($1.layer, $1.y) }?.node
            reveal()
            return
        }
        let middle = current.y + current.height / 2
        var next: GraphLayout.Box?
        switch direction {
        case .up: next = boxes.filter { $0.layer == current.layer && $0.y < current.y }.max { $0.y < $1.y }
        case .down: next = boxes.filter { $0.layer == current.layer && $0.y > current.y }.min { $0.y < $1.y }
        case .left, .right:
            let layers = Set(boxes.map(\.layer)).filter { direction == .left ? $0 < current.layer : $0 > current.layer }
            if let layer = direction == .left ? layers.max() : layers.min() {
                next = boxes.filter { $0.layer == layer }.min { abs($0.y + $0.height / 2 - middle) < abs($1.y + $1.height / 2 - middle) }
            }
        }
        if let next { selected = next.node }
        reveal()
    }

    /// Moves the view by whole columns and rows, within the picture.
    mutating func pan(x: Int, y: Int) {
        origin.x = max(0, min(origin.x + x, extentWidth - viewWidth))
        origin.y = max(0, min(origin.y + y, extentHeight - viewHeight))
    }

    /// The view moved just enough to show the selected node whole (as much as fits).
    mutating func reveal() {
        guard let box = boxes.first(where: { $0.node == selected }), viewWidth > 0, viewHeight > 0 else { return }
        if box.x < origin.x { origin.x = box.x }
        if box.x + box.width > origin.x + viewWidth { origin.x = max(box.x, box.x + box.width - viewWidth) }
        if box.y < origin.y { origin.y = box.y }
        if box.y + box.height > origin.y + viewHeight { origin.y = max(box.y, box.y + box.height - viewHeight) }
        origin.x = max(0, min(origin.x, max(0, extentWidth - viewWidth)))
        origin.y = max(0, min(origin.y, max(0, extentHeight - viewHeight)))
    }
}
