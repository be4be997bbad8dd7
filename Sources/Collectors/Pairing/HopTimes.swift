/// Where one request's time went, hop by hop, from the two lines of each hop.
///
/// A hop is one pair: the calling proxy's line (client side) and the called proxy's line
/// (server side). Each line carries its whole time (`%DURATION%`) and the time its upstream
/// took to answer (`x-envoy-upstream-service-time`), so a hop's time splits into:
/// - `clientProxy`: the calling proxy's own time (its duration minus its upstream's);
///   Envoy's fault delay, filters, and waiting for a connection land here;
/// - `network`: the calling proxy's upstream time minus the called proxy's whole time:
///   the wire and connection set-up between the two;
/// - `serverProxy`: the called proxy's own time;
/// - `upstream`: the called proxy's upstream time minus the hops nested in it (the calls
///   the app made while it served the request): the app's own time, or, for a last hop,
///   the data store's whole time.
///
/// The load's own hop (its line, `PairableLine.isCaller`, and the first proxy's) splits the
/// same way with the load as the calling proxy: the load writes its duration from the
/// request's intended start and its upstream time from the actual start, so `clientProxy`
/// is the load's queue (an open model's wait for a free connection) and `network` the wire
/// to the first proxy. When that proxy logged its outbound line (a gateway), the line is
/// the next hop's client side too: its own time is that hop's `clientProxy`, and here
/// `serverProxy` and `upstream` are nil.
///
/// A hop's `own` time is its client duration minus its nested hops' client durations, so
/// the `own` times of a chain add up to the first hop's duration. Envoy writes whole
/// milliseconds, each field rounded down, so a difference may come out a millisecond below
/// zero: it is taken as zero. A part is nil when a line lacks the field it needs.
public struct HopTimes: Sendable, Equatable {
    public struct Hop: Sendable, Equatable {
        /// The client side's upstream cluster (`outbound|9080||proxy-etcd-storage…`), or its
        /// authority when the format has no cluster.
        public var name: String
        /// 0 for a hop the caller made; 1 for a call made while serving a depth-0 hop…
        public var depth: Int
        /// The client side's duration.
        public var total: Int?
        public var own: Int?
        public var clientProxy: Int?
        public var network: Int?
        public var serverProxy: Int?
        public var upstream: Int?
        /// Whether the hop failed as its client side saw it (`RequestOutcome`).
        public var failed: Bool

        public init(
            name: String, depth: Int, total: Int?, own: Int?, clientProxy: Int?, network: Int?, serverProxy: Int?, upstream: Int?,
            failed: Bool = false
        ) {
            self.name = name
            self.depth = depth
            self.total = total
            self.own = own
            self.clientProxy = clientProxy
            self.network = network
            self.serverProxy = serverProxy
            self.upstream = upstream
            self.failed = failed
        }

        /// What the proxies of the hop added: the calling proxy's own time plus the called
        /// proxy's; nil for the load's hop, whose calling side is the load's queue, not a proxy.
        public var proxy: Int? {
            guard let clientProxy, let serverProxy else { return nil }
            return clientProxy + serverProxy
        }
    }

    /// From the first hop's start to the last hop's end, in milliseconds.
    public var total: Int?
    public var hops: [Hop]

    /// The hops of one request in chain order (`RequestChain.hops`, or a single pair).
    public init(_ pairs: [RequestPair]) {
        var parents: [Int?] = []
        for index in pairs.indices {
            // The load's hop holds the hop whose client line is its own other side, whatever
            // the two clocks say; any other hop, the nearest earlier hop whose time holds it (a
            // millisecond of slack at each end for the rounding): the app made this call while
            // serving that hop.
            let parent =
                (0..<index).first { pairs[$0].client.isCaller && pairs[$0].serverLine == pairs[index].clientLine }
                ?? (0..<index).reversed().first { Self.holds(pairs[$0].client, pairs[index].client) }
            parents.append(parent)
        }
        var depths: [Int] = []
        for parent in parents { depths.append(parent.map { depths[$0] + 1 } ?? 0) }
        hops = pairs.indices.map { index in
            let client = pairs[index].client
            let server = pairs[index].server
            let nested = pairs.indices.filter { parents[$0] == index }.map { pairs[$0].client.duration }
            let nestedTotal: Int? = nested.contains(nil) ? nil : nested.reduce(0) { $0 + $1! }
            let serverIsNextClient = client.isCaller && !server.isServerSide
            return Hop(
                name: client.isCaller
                    ? LedgerLines.loadHop(client.authority ?? client.upstreamHost ?? "?")
                    : client.upstreamCluster ?? client.authority ?? server.authority ?? "?",
                depth: depths[index],
                total: client.duration,
                own: Self.difference(client.duration, nestedTotal),
                clientProxy: Self.difference(client.duration, client.upstreamServiceTime),
                network: Self.difference(client.upstreamServiceTime, server.duration),
                serverProxy: serverIsNextClient ? nil : Self.difference(server.duration, server.upstreamServiceTime),
                upstream: serverIsNextClient ? nil : Self.difference(server.upstreamServiceTime, nestedTotal),
                failed: client.isError)
        }
        let spans = pairs.compactMap { pair -> (start: Int64, end: Int64)? in
            guard let start = pair.client.pairingTime, let duration = pair.client.duration else { return nil }
            return (start, start + Int64(duration))
        }
        if spans.count == pairs.count, let start = spans.map(\.start).min(), let end = spans.map(\.end).max() {
            total = Int(end - start)
        }
    }

    /// Whether `outer`'s time holds `inner`'s.
    static func holds(_ outer: AccessLogRecord, _ inner: AccessLogRecord) -> Bool {
        guard let outerStart = outer.pairingTime, let outerDuration = outer.duration, let innerStart = inner.pairingTime,
            let innerDuration = inner.duration
        else { return false }
        return outerStart <= innerStart + 1 && innerStart + Int64(innerDuration) <= outerStart + Int64(outerDuration) + 1
    }

    private static func difference(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        return max(0, a - b)
    }
}
