/// Access-log lines counted per hop and side: the logs' columns of the telemetry ledger.
///
/// A hop is the service called, named as the client side names it: the host of the calling
/// proxy's `outbound|PORT||HOST` cluster (the same name as Istio's `destination_service`),
/// or its `:authority` where the format has no cluster. The server side's inbound line names
/// no service (`inbound|9080||`): it is given the hop of the client lines that carried the same
/// `:authority`, since both proxies of a hop log what the caller sent. A server line whose
/// authority no client line has carried is kept apart, under that authority and its source,
/// so lines are never lost even when the caller's proxy logs nothing.
///
/// `meshtop load`'s own lines (its user agent, and no downstream address: no client is in
/// front of it) are the load's side of the first hop; the first proxy's lines, which carry the
/// same authority, are that hop's other side even though a gateway writes them as outbound.
public struct LedgerLines: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// Client-side lines: the calling proxy's (or the load's own, on the load's row).
        public var client = 0
        /// Server-side lines: the called proxy's.
        public var server = 0
        /// Hops paired by x-request-id.
        public var paired = 0
        /// Lines the proxies wrote for requests they refused themselves (403 with an RBAC or
        /// ext-authz flag): metrics that skip denials do not count them.
        public var denied = 0
        /// The load's row: its client lines are the load's own requests.
        public var isLoad = false
        /// Server lines kept under their authority: no client line named their hop.
        public var unattributed = false
        /// Where this row's server lines came from (the first few sources), for the gap's words.
        public var serverSources: [String] = []
        public var clientSources: [String] = []

        public init() {}
    }

    public static let maxRows = 500
    /// Envoy's flags for a request its RBAC or ext-authz filter refused.
    public static let deniedFlags: Set<String> = ["RBAC", "UAEX"]
    static let maxSources = 3

    public private(set) var rows: [String: Row] = [:]
    /// Lines that could not be given a row because `maxRows` were full.
    public private(set) var overflow = 0
    /// The hop each authority's client lines went to.
    private var hopOfAuthority: [String: String] = [:]
    /// Authorities the load sent to: the first proxy's lines with one are the load hop's server side.
    private var loadAuthorities: [String: String] = [:]
    /// Rows of server lines waiting for a client line of their authority (one a source), by authority.
    private var waitingServer: [String: Set<String>] = [:]

    /// `loadAuthority`: where a load sends whose own lines are not among the inputs (the
    /// dashboard's `--load`), so the first proxy's lines are known as its hop's other side.
    public init(loadAuthority: String? = nil) {
        if let loadAuthority { loadAuthorities[loadAuthority] = Self.loadHop(loadAuthority) }
    }

    /// The load's own row, named after the authority it sends to.
    public static func loadHop(_ authority: String) -> String { "load → \(authority)" }

    public mutating func add(_ record: AccessLogRecord) {
        let source = record.origin ?? "?"
        let denied = record.responseCode == 403 && Self.deniedFlags.contains(record.responseFlags ?? "-")
        if record.isCaller {
            let authority = record.authority ?? record.upstreamHost ?? "?"
            let hop = Self.loadHop(authority)
            loadAuthorities[authority] = hop
            update(hop, source: source, client: true, denied: denied) { $0.isLoad = true }
            return
        }
        if !record.isServerSide {
            let hop = Self.hop(of: record)
            if let authority = record.authority {
                if hopOfAuthority[authority] == nil { adopt(authority, hop: hop) }
                // The first proxy behind the load: the other side of the load's hop.
                if let loadHop = loadAuthorities[authority] { update(loadHop, source: source, client: false, denied: false) }
            }
            update(hop, source: source, client: true, denied: denied)
            return
        }
        let authority = record.authority ?? "?"
        if let hop = hopOfAuthority[authority] {
            update(hop, source: source, client: false, denied: denied)
        } else {
            let hop = "? \(authority) at \(source)"
            waitingServer[authority, default: []].insert(hop)
            update(hop, source: source, client: false, denied: denied) { $0.unattributed = true }
        }
    }

    /// One hop paired by request id, counted on the server side's hop; the load's own line
    /// and the first proxy's on the load's.
    public mutating func addPaired(_ pair: RequestPair) {
        if pair.client.isCaller {
            let hop = Self.loadHop(pair.client.authority ?? pair.client.upstreamHost ?? "?")
            if rows[hop] != nil { rows[hop]?.paired += 1 }
            return
        }
        let hop =
            pair.server.isServerSide
            ? hopOfAuthority[pair.server.authority ?? "?"] ?? Self.hop(of: pair.client) : Self.hop(of: pair.client)
        if rows[hop] != nil, rows[hop]?.isLoad == false { rows[hop]?.paired += 1 }
    }

    /// The hops a pairer reported paired.
    public mutating func addPaired(from events: some Sequence<PairingEvent>) {
        for case .paired(let pair) in events { addPaired(pair) }
    }

    /// The client side's name for its hop.
    public static func hop(of record: AccessLogRecord) -> String {
        if let cluster = record.upstreamCluster, case .upstream(let host) = EnvoyCluster(name: cluster) { return host }
        return record.authority ?? record.upstreamCluster ?? "?"
    }

    /// An authority's client lines now name its hop: server lines kept apart under it join it.
    private mutating func adopt(_ authority: String, hop: String) {
        hopOfAuthority[authority] = hop
        guard let waiting = waitingServer.removeValue(forKey: authority) else { return }
        var row = rows[hop] ?? Row()
        for held in waiting.sorted().compactMap({ rows.removeValue(forKey: $0) }) {
            row.server += held.server
            row.denied += held.denied
            for source in held.serverSources where !row.serverSources.contains(source) && row.serverSources.count < Self.maxSources {
                row.serverSources.append(source)
            }
        }
        rows[hop] = row
    }

    private mutating func update(_ hop: String, source: String, client: Bool, denied: Bool, _ more: (inout Row) -> Void = { _ in }) {
        guard rows[hop] != nil || rows.count < Self.maxRows else {
            overflow += 1
            return
        }
        Self.count(&rows[hop, default: Row()], source: source, client: client, denied: denied)
        more(&rows[hop]!)
    }

    private static func count(_ row: inout Row, source: String, client: Bool, denied: Bool) {
        if client {
            row.client += 1
            if !row.clientSources.contains(source), row.clientSources.count < maxSources { row.clientSources.append(source) }
        } else {
            row.server += 1
            if !row.serverSources.contains(source), row.serverSources.count < maxSources { row.serverSources.append(source) }
        }
        if denied { row.denied += 1 }
    }
}
