/// Two runs side by side (`meshtop diff A B`): per edge (from the polls) and per hop (from
/// the log lines) each run's rate, error share, P50/P99 and, for hops, what the proxies
/// added, the change, and which changes cross a limit: the regression gate.
///
/// A change is judged only where both runs carry enough of it to mean something: the row is
/// in both runs with at least `minRequests` requests in each, and a P99 that moved by less
/// than `p99Floor` milliseconds never crosses (Envoy logs whole milliseconds, and a histogram's
/// bucket moves a percentile by more than that, so 1 → 2 ms is not a 100 % regression).
public struct RunDiff: Sendable {
    public struct Limits: Sendable, Equatable {
        /// The largest allowed rise of a P99, as a fraction (0.1 is 10 %).
        public var p99Increase: Double?
        /// The largest allowed rise of the error share, in share points (0.001 is 0.1 %).
        public var errorIncrease: Double?
        public var p99Floor: Double
        public var minRequests: Double

        public init(p99Increase: Double? = nil, errorIncrease: Double? = nil, p99Floor: Double = 5, minRequests: Double = 20) {
            self.p99Increase = p99Increase
            self.errorIncrease = errorIncrease
            self.p99Floor = p99Floor
            self.minRequests = minRequests
        }
    }

    public enum Kind: String, Sendable { case edge, hop }

    /// One run's figures of a row; milliseconds, shares 0…1.
    public struct Side: Sendable, Equatable {
        public var requests: Double
        public var rate: Double
        public var errorShare: Double?
        public var p50: Double?
        public var p99: Double?
        /// Hops only: the two proxies' own time together.
        public var proxyP50: Double?
        public var proxyP99: Double?
    }

    /// A change past its limit.
    public struct Crossing: Sendable, Equatable {
        public enum Figure: String, Sendable { case p99, errors }
        public var figure: Figure
        /// B minus A: milliseconds for p99, share points for errors.
        public var change: Double
        /// The change relative to A (p99 only; nil from zero).
        public var relative: Double?
        public var limit: Double
    }

    public struct Row: Sendable, Equatable {
        public var kind: Kind
        public var name: String
        public var depth: Int
        public var a: Side?
        public var b: Side?
        public var crossings: [Crossing]

        /// Whether both runs carry enough of the row for its changes to be judged.
        public func judged(_ limits: Limits) -> Bool {
            guard let a, let b else { return false }
            return a.requests >= limits.minRequests && b.requests >= limits.minRequests
        }
    }

    public let limits: Limits
    public let rows: [Row]
    public var crossed: Bool { rows.contains { !$0.crossings.isEmpty } }

    public init(a: RunFigures, b: RunFigures, limits: Limits) {
        self.limits = limits
        var rows: [Row] = []
        // Edges: both runs' keys in order, each once.
        let edgesA = Dictionary(a.edges.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let edgesB = Dictionary(b.edges.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for key in Set(edgesA.keys).union(edgesB.keys).sorted() {
            rows.append(
                Row(
                    kind: .edge, name: Self.name(key), depth: 0, a: edgesA[key].map(Self.side), b: edgesB[key].map(Self.side),
                    crossings: []))
        }
        // Hops: A's order, then B's hops A did not have. A run whose load's own lines were
        // recorded (the dashboard's --load) has the load's hop at depth 0 and the mesh's hops
        // below it; a run driven from outside starts at the gateway. Hops are matched by their
        // depth in the mesh, so the two compare either way.
        let hopsA = a.hops.rows
        let hopsB = b.hops.rows
        let loadA = hopsA.contains(where: Self.isLoad)
        let loadB = hopsB.contains(where: Self.isLoad)
        func meshDepth(_ row: HopTable.Row, _ load: Bool) -> Int { Self.isLoad(row) ? -1 : row.depth - (load ? 1 : 0) }
        let shown = loadA || loadB ? 1 : 0
        var seen: Set<String> = []
        for (row, load) in hopsA.map({ ($0, loadA) }) + hopsB.map({ ($0, loadB) }) {
            let depth = meshDepth(row, load)
            guard seen.insert("\(depth) \(row.name)").inserted else { continue }
            let inA = hopsA.first { $0.name == row.name && meshDepth($0, loadA) == depth }
            let inB = hopsB.first { $0.name == row.name && meshDepth($0, loadB) == depth }
            rows.append(
                Row(
                    kind: .hop, name: row.name, depth: depth + shown, a: inA.map { Self.side($0, seconds: a.seconds) },
                    b: inB.map { Self.side($0, seconds: b.seconds) }, crossings: []))
        }
        for index in rows.indices { rows[index].crossings = Self.crossings(rows[index], limits) }
        self.rows = rows
    }

    static func crossings(_ row: Row, _ limits: Limits) -> [Crossing] {
        guard row.judged(limits), let a = row.a, let b = row.b else { return [] }
        var crossings: [Crossing] = []
        if let limit = limits.p99Increase, let before = a.p99, let after = b.p99, after - before >= limits.p99Floor {
            let relative = before > 0 ? (after - before) / before : nil
            if relative.map({ $0 > limit }) ?? true {
                crossings.append(Crossing(figure: .p99, change: after - before, relative: relative, limit: limit))
            }
        }
        if let limit = limits.errorIncrease, let after = b.errorShare {
            let change = after - (a.errorShare ?? 0)
            if change > limit { crossings.append(Crossing(figure: .errors, change: change, relative: nil, limit: limit)) }
        }
        return crossings
    }

    /// The load's own hop (`LedgerLines.loadHop`): the first of a chain whose load lines were recorded.
    static func isLoad(_ row: HopTable.Row) -> Bool { row.depth == 0 && row.name.hasPrefix(LedgerLines.loadHop("")) }

    /// `namespace/workload → namespace/workload`, clusters named where the edge has them.
    public static func name(_ key: EdgeKey) -> String {
        "\(key.sourceInCluster) → \(key.destinationInCluster)"
    }

    static func side(_ edge: RunFigures.Edge) -> Side {
        Side(requests: edge.requests, rate: edge.rps, errorShare: edge.errorShare, p50: edge.p50, p99: edge.p99)
    }

    static func side(_ row: HopTable.Row, seconds: Double) -> Side {
        Side(
            requests: Double(row.requests), rate: seconds > 0 ? Double(row.requests) / seconds : 0,
            errorShare: row.requests > 0 ? Double(row.errors) / Double(row.requests) : nil, p50: row.own.map { Double($0.p50) },
            p99: row.own.map { Double($0.p99) }, proxyP50: row.proxy.map { Double($0.p50) }, proxyP99: row.proxy.map { Double($0.p99) })
    }
}
