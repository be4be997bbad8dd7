import Collectors
import Testing

/// Per-hop time from a request's chain: each hop's parts, nesting, and what a line lacks.
@Suite struct HopTimesTests {
    static let gateway = "outbound|9080||proxy-etcd-storage.default.svc.cluster.local"
    static let etcd = "outbound|2379||etcd-service.default.svc.cluster.local"

    /// A line starting `at` ms after a fixed second, with its duration and upstream time.
    static func line(
        _ at: Int, _ duration: Int?, upstream: Int?, cluster: String? = nil, inbound: Bool = false, authority: String = "a"
    ) -> AccessLogRecord {
        var record = AccessLogRecord()
        record.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: at)
        record.duration = duration
        record.upstreamServiceTime = upstream
        record.upstreamCluster = cluster ?? (inbound ? "inbound|9080||" : nil)
        record.direction = inbound ? .inbound : .outbound
        record.authority = authority
        record.requestID = "r1"
        return record
    }

    static func pair(_ client: AccessLogRecord, _ server: AccessLogRecord) -> RequestPair {
        RequestPair(requestID: "r1", client: client, server: server)
    }

    /// gateway → storage sidecar → app → storage sidecar → etcd sidecar → etcd.
    static let twoHops = [
        pair(line(0, 20, upstream: 18, cluster: gateway), line(1, 16, upstream: 15, inbound: true)),
        pair(line(5, 6, upstream: 5, cluster: etcd, authority: "e"), line(6, 4, upstream: 3, inbound: true, authority: "e")),
    ]

    @Test func splitsEachHopIntoItsParts() {
        let times = HopTimes(Self.twoHops)
        #expect(times.total == 20)
        #expect(
            times.hops == [
                .init(name: Self.gateway, depth: 0, total: 20, own: 14, clientProxy: 2, network: 2, serverProxy: 1, upstream: 9),
                .init(name: Self.etcd, depth: 1, total: 6, own: 6, clientProxy: 1, network: 1, serverProxy: 1, upstream: 3),
            ])
        // The own times add up to the request's time, and each hop's parts to its own time.
        #expect(times.hops.compactMap(\.own).reduce(0, +) == times.total)
        for hop in times.hops {
            #expect([hop.clientProxy, hop.network, hop.serverProxy, hop.upstream].compactMap { $0 }.reduce(0, +) == hop.own)
        }
    }

    /// A retried etcd call is two hops side by side under the first: both come off the app's time.
    @Test func siblingsAreNestedInTheSameHop() {
        let hops = [
            Self.twoHops[0],
            Self.pair(Self.line(5, 3, upstream: 2, cluster: Self.etcd, authority: "e"), Self.line(5, 2, upstream: 1, inbound: true, authority: "e")),
            Self.pair(Self.line(9, 4, upstream: 3, cluster: Self.etcd, authority: "e"), Self.line(10, 2, upstream: 2, inbound: true, authority: "e")),
        ]
        let times = HopTimes(hops)
        #expect(times.hops.map(\.depth) == [0, 1, 1])
        #expect(times.hops[0].own == 20 - 3 - 4)
        #expect(times.hops[0].upstream == 15 - 3 - 4)
    }

    @Test func aMissingFieldLeavesOnlyItsPartsOut() {
        let hops = [Self.pair(Self.line(0, 10, upstream: nil, cluster: Self.gateway), Self.line(1, 7, upstream: 6, inbound: true))]
        let hop = HopTimes(hops).hops[0]
        #expect(hop.own == 10)
        #expect(hop.clientProxy == nil && hop.network == nil)
        #expect(hop.serverProxy == 1 && hop.upstream == 6)
    }

    /// Envoy rounds each duration down: a server side a millisecond longer than its client's
    /// upstream time is rounding, not time going backwards.
    @Test func roundingBelowZeroIsZero() {
        let hops = [Self.pair(Self.line(0, 10, upstream: 7, cluster: Self.gateway), Self.line(1, 8, upstream: 8, inbound: true))]
        let hop = HopTimes(hops).hops[0]
        #expect(hop.network == 0)
        #expect(hop.serverProxy == 0)
    }

    /// Without a cluster (Istio 1.0's format) a hop is named by its authority.
    @Test func aHopWithoutAClusterIsNamedByItsAuthority() {
        var client = Self.line(0, 6, upstream: 5, authority: "etcd-service:2379")
        client.upstreamCluster = nil
        #expect(HopTimes([Self.pair(client, Self.line(0, 4, upstream: 1, inbound: true))]).hops[0].name == "etcd-service:2379")
    }
}

/// The table across requests: percentiles per hop, the share of the slowest requests' time.
@Suite struct HopTableTests {
    /// 980 requests of 20 ms and 20 of 120 ms whose extra 100 ms are the gateway's own.
    static func table() -> HopTable {
        var table = HopTable()
        for index in 0..<1_000 {
            let slow = index % 50 == 0
            let delay = slow ? 100 : 0
            let hops = [
                HopTimesTests.pair(
                    HopTimesTests.line(0, 20 + delay, upstream: 18, cluster: HopTimesTests.gateway),
                    HopTimesTests.line(1, 16, upstream: 15, inbound: true)),
                HopTimesTests.pair(
                    HopTimesTests.line(5, 6, upstream: 5, cluster: HopTimesTests.etcd, authority: "e"),
                    HopTimesTests.line(6, 4, upstream: 3, inbound: true, authority: "e")),
            ]
            table.add(HopTimes(hops))
        }
        return table
    }

    @Test func percentilesAndTheShareOfP99() throws {
        let table = Self.table()
        #expect(table.requests == 1_000)
        #expect(table.endToEnd?.p50 == 20)
        #expect(table.endToEnd?.p99 == 120)
        let rows = table.rows
        #expect(rows.map(\.name) == [HopTimesTests.gateway, HopTimesTests.etcd])
        let gateway = try #require(rows.first)
        #expect(gateway.clientProxy?.p50 == 2)
        #expect(gateway.clientProxy?.p99 == 102)
        #expect(gateway.network?.p99 == 2)
        // The slowest requests (120 ms): the gateway's hop holds 114 ms of each, etcd's 6.
        #expect(abs((gateway.shareOfP99 ?? 0) - 114.0 / 120) < 0.001)
        #expect(abs((rows[1].shareOfP99 ?? 0) - 6.0 / 120) < 0.001)
    }

    @Test func hopsPastTheBoundAreCountedNotKept() {
        var table = HopTable()
        for index in 0...HopTable.maxHops {
            let name = "outbound|80||service-\(index)"
            table.add(HopTimes([HopTimesTests.pair(HopTimesTests.line(0, 5, upstream: 4, cluster: name), HopTimesTests.line(0, 3, upstream: 2, inbound: true))]))
        }
        #expect(table.rows.count == HopTable.maxHops)
        #expect(table.droppedHops == 1)
    }
}
