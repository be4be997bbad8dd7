import Collectors

/// The mesh as a graph: one node a workload (`namespace/workload`, or the service where the
/// profile names no workload), one edge a caller → callee pair with the Traffic panel's
/// figures summed over its series (reporters, clusters). With `collapsed`, one node a
/// namespace and the edges between namespaces summed.
struct ServiceGraph: Equatable, Sendable {
    struct Edge: Equatable, Sendable {
        var from: String
        var to: String
        var rps: Double
        var failed: Double
        var p99: Double?
        /// 0…1 of the requests over mutual TLS; nil where no reporter knows.
        var mutualTLS: Double?

        var errorShare: Double? { rps > 0 ? min(1, failed / rps) : nil }
    }

    /// Sorted by name.
    private(set) var nodes: [String]
    /// Sorted by (from, to), one a pair.
    private(set) var edges: [Edge]
    /// Workloads a collapsed namespace node stands for.
    private(set) var members: [String: Int] = [:]

    init(nodes: [String], edges: [Edge]) {
        self.nodes = Array(Set(nodes + edges.flatMap { [$0.from, $0.to] })).sorted()
        self.edges = edges.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
    }

    /// The node an edge's caller is.
    static func caller(_ key: EdgeKey) -> String { key.source }

    /// The node an edge's callee is: its workload, or its service where the workload is unknown.
    static func callee(_ key: EdgeKey) -> String {
        key.destinationWorkload.isEmpty || key.destinationWorkload == "unknown"
            ? (key.destinationService.isEmpty ? key.destination : key.destinationService) : key.destination
    }

    /// The namespace a node is in: the part before `/`, or the node itself.
    static func namespace(of node: String) -> String {
        node.firstIndex(of: "/").map { String(node[..<$0]) } ?? node
    }

    /// From the Traffic panel's edges (those with traffic), summed per pair of nodes.
    init(edges stats: [EdgeStats], collapsed: Bool = false) {
        struct Sums {
            var rps = 0.0
            var failed = 0.0
            var p99: Double?
            var tls = 0.0
            var tlsWeight = 0.0
        }
        var sums: [Pair: Sums] = [:]
        var members: [String: Set<String>] = [:]
        for stat in stats where stat.rps > 0 || (stat.tcpOpened ?? 0) > 0 {
            var from = Self.caller(stat.key)
            var to = Self.callee(stat.key)
            if collapsed {
                let (fromSpace, toSpace) = (Self.namespace(of: from), Self.namespace(of: to))
                members[fromSpace, default: []].insert(from)
                members[toSpace, default: []].insert(to)
                (from, to) = (fromSpace, toSpace)
            }
            var entry = sums[Pair(from: from, to: to)] ?? Sums()
            entry.rps += stat.rps
            entry.failed += stat.failed
            if let p99 = stat.p99, p99.isFinite { entry.p99 = max(entry.p99 ?? 0, p99) }
            if let tls = stat.mutualTLS {
                let weight = max(stat.rps, 1e-9)
                entry.tls += tls * weight
                entry.tlsWeight += weight
            }
            sums[Pair(from: from, to: to)] = entry
        }
        self.init(
            nodes: [],
            edges: sums.map { pair, sum in
                Edge(
                    from: pair.from, to: pair.to, rps: sum.rps, failed: sum.failed, p99: sum.p99,
                    mutualTLS: sum.tlsWeight > 0 ? sum.tls / sum.tlsWeight : nil)
            })
        self.members = members.mapValues(\.count)
    }

    /// The node the dashboard's own load is drawn as.
    static let loadNode = "load"

    /// The dashboard's `--load` as a caller of the mesh: an edge from `load` to the node it
    /// enters by, the one node nobody calls (an ingress gateway's name preferred among
    /// several), or a node of the load's `host:port` when the mesh shows none.
    func withLoad(_ load: LoadStatus?, authority: String?) -> ServiceGraph {
        guard let load, load.achievedRate > 0 else { return self }
        let called = Set(edges.filter { $0.from != $0.to }.map(\.to))
        let roots = nodes.filter { !called.contains($0) }
        let entry = roots.count == 1 ? roots[0] : roots.first { $0.contains("ingressgateway") } ?? roots.first { $0.contains("gateway") }
        let failed = load.requests > 0 ? load.achievedRate * Double(load.errors) / Double(load.requests) : 0
        let edge = Edge(from: Self.loadNode, to: entry ?? authority ?? "?", rps: load.achievedRate, failed: failed, p99: load.p99, mutualTLS: nil)
        var graph = ServiceGraph(nodes: nodes, edges: edges + [edge])
        graph.members = members
        return graph
    }

    private struct Pair: Hashable {
        var from: String
        var to: String
    }

    /// Only the nodes whose name holds `text` (any case), their neighbours and the edges
    /// between them; nil keeps everything.
    func filtered(_ matches: ((String) -> Bool)?) -> ServiceGraph {
        guard let matches else { return self }
        let hit = Set(nodes.filter(matches))
        let kept = edges.filter { hit.contains($0.from) || hit.contains($0.to) }
        var graph = ServiceGraph(nodes: Array(hit), edges: kept)
        graph.members = members
        return graph
    }

    /// Only the edges from or to `namespace`.
    func scoped(to namespace: String?) -> ServiceGraph {
        guard let namespace else { return self }
        let kept = edges.filter { Self.namespace(of: $0.from) == namespace || Self.namespace(of: $0.to) == namespace }
        var graph = ServiceGraph(nodes: nodes.filter { Self.namespace(of: $0) == namespace }, edges: kept)
        graph.members = members
        return graph
    }
}
