import Collectors
import Testing

/// The load's own line (`meshtop load`, no proxy of its own) pairs with the first proxy's:
/// the gateway's outbound line, which is also the client side of the gateway's own hop, or,
/// with no gateway, the called sidecar's inbound line. In any order the lines arrive.
@Suite struct LoadHopPairingTests {
    static let authority = "127.0.0.1:8080"

    static func line(
        _ side: AccessLogRecord.Direction, at milliseconds: Int, duration: Int, upstream: Int?, load: Bool = false,
        forwarded: Bool = false, id: String = "r1"
    ) -> AccessLogRecord {
        var record = AccessLogRecord()
        record.requestID = id
        record.direction = side
        record.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: milliseconds)
        record.duration = duration
        record.upstreamServiceTime = upstream
        record.authority = authority
        record.userAgent = OutboundRecord.loadUserAgent
        record.upstreamCluster = side == .inbound ? "inbound|9080||" : "outbound|9080||proxy-etcd-storage.default.svc.cluster.local"
        if !load { record.downstreamRemoteAddress = "127.0.0.1:40000" }
        if forwarded { record.xForwardedFor = "127.0.0.1" }
        return record
    }

    /// The load waited 5 ms for a connection and had its answer 30 ms after it was due; the
    /// gateway took 20 of them, the storage sidecar 16.
    static let load = line(.outbound, at: 0, duration: 30, upstream: 25, load: true)
    static let gateway = line(.outbound, at: 6, duration: 20, upstream: 18, forwarded: true)
    static let sidecar = line(.inbound, at: 7, duration: 16, upstream: 15, forwarded: true)

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    @Test func theLoadsLineAndTheGatewaysMakeTheFirstHopInAnyOrder() throws {
        #expect(Self.load.isCaller && !Self.gateway.isCaller && !Self.sidecar.isCaller)
        for order in Self.permutations([Self.load, Self.gateway, Self.sidecar]) {
            var pairer = RequestPairer(chainsOfOne: true)
            var events: [PairingEvent] = []
            for record in order { events += pairer.add(record) }
            #expect(pairer.pairCount == 2, "\(order.map(\.direction))")
            events += pairer.flush()
            let chain = try #require(events.compactMap { if case .chain(let chain) = $0 { chain } else { nil } }.first)
            #expect(chain.hops.map(\.client) == [Self.load, Self.gateway])
            #expect(chain.hops.map(\.server) == [Self.gateway, Self.sidecar])
            #expect(pairer.unpaired == UnpairedCounts())
            #expect(pairer.heldBytes == 0, "the gateway's line, in two hops, is let go of once")
        }
    }

    @Test func withoutAGatewayTheLoadPairsWithTheSidecarsInboundLine() {
        for order in Self.permutations([Self.load, Self.line(.inbound, at: 1, duration: 16, upstream: 15)]) {
            var pairer = RequestPairer()
            for record in order { _ = pairer.add(record) }
            #expect(pairer.pairCount == 1)
        }
        // An inbound line a proxy forwarded is the gateway's hop: never the load's other side.
        var pairer = RequestPairer()
        for record in [Self.load, Self.sidecar] { _ = pairer.add(record) }
        _ = pairer.flush()
        #expect(pairer.pairCount == 0)
        #expect(pairer.unpaired.clientOnly == 1 && pairer.unpaired.serverOnly == 1)
    }

    /// The summary's pairer reads the same from its digests as the full one from records.
    @Test func theSummarysDigestsPairTheSame() {
        for order in Self.permutations([Self.load, Self.gateway, Self.sidecar]) {
            var summary = AccessLogSummary()
            var pairer = LinePairer<LineDigest>()
            for record in order { pairer.add(summary.add(record)) { _ in } }
            pairer.flush { _ in }
            #expect(pairer.pairCount == 2)
            #expect(pairer.unpaired == UnpairedCounts())
        }
    }

    @Test func theLoadsHopHoldsItsQueueAndTheWireToTheGateway() throws {
        let hops = [
            RequestPair(requestID: "r1", client: Self.load, server: Self.gateway),
            RequestPair(requestID: "r1", client: Self.gateway, server: Self.sidecar),
        ]
        let times = HopTimes(hops)
        let load = try #require(times.hops.first)
        #expect(load.name == LedgerLines.loadHop(Self.authority))
        #expect(load.depth == 0 && load.total == 30 && load.own == 10)
        #expect(load.clientProxy == 5 && load.network == 5)
        #expect(load.serverProxy == nil && load.upstream == nil, "the gateway's own time is its hop's client proxy")
        #expect(times.hops[1].depth == 1 && times.hops[1].clientProxy == 2)
        #expect(times.hops.compactMap(\.own).reduce(0, +) == 30)

        // The load's clock 50 ms behind the gateway's: the load's hop still holds the gateway's.
        var late = Self.load
        late.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: 60)
        let skewed = HopTimes([RequestPair(requestID: "r1", client: late, server: Self.gateway), hops[1]])
        #expect(skewed.hops.map(\.depth) == [0, 1])
    }
}
