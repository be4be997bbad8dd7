import Collectors
import Foundation
import Testing

/// The metrics' side of the ledger: totals per hop from a counters answer, and counts since a mark.
@Suite struct RequestCountsTests {
    static func answer(_ series: [([String: String], Double)]) -> PrometheusAnswer {
        PrometheusAnswer(
            result: .vector(series.map { PrometheusSeries(labels: $0.0, points: [PrometheusPoint(time: 1, value: $0.1)]) }),
            warnings: [])
    }

    @Test func istioTotalsArePerServiceAndReporter() {
        let totals = RequestCounts.totals(
            from: Self.answer([
                (["reporter": "destination", "destination_service": "a.svc"], 40),
                (["reporter": "source", "destination_service": "a.svc"], 39),
                (["reporter": "waypoint", "destination_service": "b.svc"], 7),
                (["reporter": "envoy", "destination_service": "a.svc"], 1),  // not a reporter Istio has
                (["reporter": "destination"], 5),  // no service: no hop
            ]), profile: .istio)
        #expect(totals == [.init(hop: "a.svc", counter: .destination): 40, .init(hop: "a.svc", counter: .source): 39,
                           .init(hop: "b.svc", counter: .waypoint): 7])
    }

    @Test func envoyTotalsAreTheOutboundClustersHosts() {
        let totals = RequestCounts.totals(
            from: Self.answer([
                (["cluster_name": "outbound|9080||a.svc"], 10),
                (["envoy_cluster_name": "outbound|9081||a.svc"], 2),  // another port of the same service
                (["cluster_name": "inbound|9080||"], 12),
                (["cluster_name": "xds-grpc"], 100),
                (["cluster_name": "httproute/default/backend/rule/0"], 3),
            ]), profile: .envoy)
        #expect(totals == [.init(hop: "a.svc", counter: .envoy): 12, .init(hop: "httproute/default/backend/rule/0", counter: .envoy): 3])
    }

    @Test func countsSinceTheMarkNewSeriesFromZeroAndResetsCounted() {
        let a = RequestCounts.Key(hop: "a", counter: .envoy)
        let b = RequestCounts.Key(hop: "b", counter: .envoy)
        let c = RequestCounts.Key(hop: "c", counter: .envoy)
        let since = Date(timeIntervalSince1970: 1_780_000_000)
        let counts = RequestCounts.between([a: 100, b: 50], [a: 140, b: 20, c: 9], since: since)
        #expect(counts.counts == [a: 40, b: 20, c: 9])
        #expect(counts.resets == 1)
        #expect(counts["a", .envoy] == 40 && counts["a", .source] == nil)
        #expect(counts.since == since)
    }

    @Test func theQueriesSumRawCountersPerHop() {
        #expect(RequestCounts.query(.istio) == "sum by (reporter, destination_service) (istio_requests_total)")
        #expect(RequestCounts.query(.envoy).contains("envoy_cluster_upstream_rq_total"))
        #expect(!RequestCounts.query(.istio).contains("rate(") && !RequestCounts.query(.istio).contains("increase("))
    }
}
