import Collectors
import Foundation

/// The graph view's picture, kept between frames and laid out again only when a poll brings
/// new edges or the user changes what the graph shows; each layout starts from the placement
/// of the last layout of the same view (collapse, scope and filter), so nodes keep their
/// places from poll to poll, and again after a filter is cleared. Owned by the dashboard's UI thread.
struct GraphCache: Sendable {
    /// Past this many workloads the graph starts with namespaces collapsed (`c` toggles).
    static let collapseAbove = 40

    private struct Key: Equatable {
        var time: Date
        var edges: Int
        /// The user's choice; nil is by size, worked out only when the key changes.
        var collapse: Bool?
        var scope: String?
        var filter: TextFilter?
        var thresholds: HealthThresholds
        var load: Double?
    }

    /// What the graph shows: a placement is kept for each, since the rows of a filtered view
    /// would leave holes in the whole one and the other way round.
    private struct View: Hashable {
        var collapsed: Bool
        var scope: String?
        var filter: String?
    }

    /// A few views' placements: a user toggles between some, not hundreds.
    private static let viewsKept = 8

    private var key: Key?
    private(set) var picture: GraphPicture?
    private var placements: [View: GraphLayout.Placement] = [:]
    /// Whether the last layout's edges, left to their size, would be collapsed (`c` toggles from it).
    private(set) var autoCollapsed = false

    /// Whether namespaces are collapsed for these edges: the user's choice, or by size.
    static func collapsed(_ edges: [EdgeStats], choice: Bool?) -> Bool {
        choice ?? (ServiceGraph(edges: edges).nodes.count > collapseAbove)
    }

    /// `load`: the dashboard's `--load`, drawn as the mesh's first caller.
    mutating func update(
        _ snapshot: Snapshot, view: GraphViewState, thresholds: HealthThresholds, load: LoadStatus? = nil, loadAuthority: String? = nil
    ) -> GraphPicture {
        // A frame with nothing new costs a comparison: the graph is built only for a new key.
        let key = Key(
            time: snapshot.time, edges: snapshot.edges.count, collapse: view.collapsed, scope: view.scope, filter: view.filter,
            thresholds: thresholds, load: load.map { $0.achievedRate + Double($0.errors) + ($0.p99 ?? 0) })
        if key == self.key, let picture { return picture }
        autoCollapsed = Self.collapsed(snapshot.edges, choice: nil)
        let collapsed = view.collapsed ?? autoCollapsed
        let filter = view.filter
        let graph = ServiceGraph(edges: snapshot.edges, collapsed: collapsed).withLoad(load, authority: loadAuthority).scoped(to: view.scope)
            .filtered(filter.map { filter in { filter.matches($0) } })
        let shown = View(collapsed: collapsed, scope: view.scope, filter: filter?.text)
        let layout = GraphLayout(graph, previous: placements[shown], thresholds: thresholds)
        if placements[shown] == nil, placements.count >= Self.viewsKept { placements = [:] }
        placements[shown] = layout.placement
        let picture = GraphPicture(layout)
        self.key = key
        self.picture = picture
        return picture
    }
}
