import Collectors
import Testing

/// The few slowest requests of a run, kept in a bounded list.
@Suite struct SlowestRequestsTests {
    static func chain(_ id: String, duration: Int?) -> RequestChain {
        var client = HopTimesTests.line(0, duration, upstream: nil, cluster: HopTimesTests.gateway)
        client.requestID = id
        return RequestChain(requestID: id, hops: [RequestPair(requestID: id, client: client, server: HopTimesTests.line(1, 1, upstream: 1, inbound: true))])
    }

    @Test func keepsTheSlowestFirstAndNoMoreThanItsLimit() {
        var slowest = SlowestRequests(limit: 3)
        for (index, duration) in [5, 50, 7, 900, 1, 60, 2].enumerated() { slowest.add(Self.chain("r\(index)", duration: duration)) }
        slowest.add(Self.chain("none", duration: nil))
        #expect(slowest.requests.map(\.duration) == [900, 60, 50])
        #expect(slowest.requests.map(\.requestID) == ["r3", "r5", "r1"])
        #expect(slowest.requests.allSatisfy { $0.hops == 1 })
    }
}
