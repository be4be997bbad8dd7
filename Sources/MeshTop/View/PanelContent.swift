/// A panel's text before it is framed: a title for its border, an optional fixed header
/// line, and scrollable lines; `items` are what selection and Enter act on.
struct PanelContent: Sendable {
    var title: Line
    var header: Line?
    var lines: [Line]
    /// Shown in place of the lines when there are none.
    var empty: Line?
    /// What Enter opens for each selectable item, and the line each item is on.
    var items: [UIState.Detail] = []
    var itemLines: [Int] = []
    /// Whether the selected item's whole line is shown reversed (tables), or the builder
    /// marks the selection itself (the etcd member cells).
    var highlightsLine = true
    /// Rows the panel wants and needs, its header included.
    var wanted: Int
    var minimum: Int
    /// Last good data while its source fails.
    var faded = false
}
