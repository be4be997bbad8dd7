import Collectors
import Testing

/// Rates from the first poll: an edge younger than the window has its rates over its age.
@Suite struct RateSpanTests {
    @Test func prometheusDurations() {
        #expect(RateSpan.seconds("1m") == 60)
        #expect(RateSpan.seconds("1m30s") == 90)
        #expect(RateSpan.seconds("500ms") == 0.5)
        #expect(RateSpan.seconds("2h") == 7_200)
        #expect(RateSpan.seconds("") == nil)
        #expect(RateSpan.seconds("1x") == nil)
        #expect(RateSpan.seconds("m") == nil)
        #expect(RateSpan.resolution(window: "1m") == "1s")
        #expect(RateSpan.resolution(window: "30s") == "1s")
        #expect(RateSpan.resolution(window: "5m") == "3s")
        #expect(RateSpan.resolution(window: "1h") == "30s")
    }

    @Test func factorIsTheWindowOverTheAgeUntilTheWindowIsFull() {
        // The issue's case: 9 s of data under a 1m window.
        #expect(RateSpan.factor(window: 60, age: 9) == 60.0 / 9)
        #expect(RateSpan.factor(window: 60, age: 60) == 1)
        #expect(RateSpan.factor(window: 60, age: 300) == 1)
        // Younger than the subquery's step: taken as the step, never a division by ~0.
        #expect(RateSpan.factor(window: 60, age: 0.01, floor: 1) == 60)
        #expect(RateSpan.factor(window: 60, age: .nan) == 1)
    }

    private let edge = [
        "source_workload": "loadgen", "source_workload_namespace": "default", "destination_workload": "storage",
        "destination_workload_namespace": "default", "destination_service": "storage.default.svc.cluster.local",
    ]

    private func vector(_ rows: [([String: String], Double)]) -> PrometheusAnswer {
        PrometheusAnswer(
            result: .vector(rows.map { PrometheusSeries(labels: $0.0, points: [PrometheusPoint(time: 1, value: $0.1)]) }), warnings: [])
    }

    private func with(_ extra: [String: String], base: [String: String]? = nil) -> [String: String] {
        (base ?? edge).merging(extra) { $1 }
    }

    @Test func youngEdgesAreScaledOldOnesAreNot() throws {
        let old = with(["destination_workload": "old"])
        // What rate(...[1m]) answers 9 s into a load (3 req/s: its increase over 60 s), and the
        // same edge's rate between its first and last samples (21 req/s), beside an edge
        // older than the window.
        let answers: [String: PrometheusAnswer] = [
            "traffic": vector([
                (with(["response_code": "200", "response_flags": "-"]), 2.85), (with(["response_code": "503", "response_flags": "UF"]), 0.15),
                (with(["response_code": "200", "response_flags": "-"], base: old), 5),
            ]),
            "buckets": vector([(with(["le": "5"]), 2), (with(["le": "+Inf"]), 3), (with(["le": "+Inf"], base: old), 5)]),
            "tcp": vector([(with(["meshtop": "sent"]), 6), (with(["meshtop": "opened"]), 0.5)]),
            "span": vector([
                (with(["rate_span": "age"]), 9), (with(["rate_span": "age"], base: old), 75),
                (with(["rate_span": "young"]), 21), (with(["rate_span": "young"], base: old), 4),
            ]),
        ]
        let profile = MetricsProfile.istio(IstioQueries(window: "1m"))
        let edges = profile.edges(from: answers)
        let young = try #require(edges.first { $0.key.destinationWorkload == "storage" })
        #expect(abs(young.rps - 21) < 1e-9)
        #expect(abs((young.codes["200"] ?? 0) - 19.95) < 1e-9 && abs((young.codes["503"] ?? 0) - 1.05) < 1e-9)
        #expect(abs((young.flags["UF"] ?? 0) - 1.05) < 1e-9)
        #expect(abs((young.tcpSent ?? 0) - 42) < 1e-9)
        #expect(abs((young.tcpOpened ?? 0) - 3.5) < 1e-9)
        #expect(abs(young.failed - 1.05) < 1e-9)
        #expect(young.rateSeconds == 9)
        // Ratios of the same counters stay as they were.
        #expect(abs((young.successRate ?? 0) - 0.95) < 1e-9)
        // Older than the window: Prometheus's rate as it is.
        let full = try #require(edges.first { $0.key.destinationWorkload == "old" })
        #expect(full.rps == 5 && full.rateSeconds == nil)
        // Without `young`: window / age. Without `age` (a recorded round, a config without
        // them): nothing is scaled.
        var ageOnly = answers
        ageOnly["span"] = vector([(with(["rate_span": "age"]), 9), (with(["rate_span": "age"], base: old), 75)])
        #expect(abs((profile.edges(from: ageOnly).first { $0.key == young.key }?.rps ?? 0) - 20) < 1e-9)
        ageOnly["span"] = nil
        #expect(profile.edges(from: ageOnly).first { $0.key == young.key }?.rps == 3)
    }

    @Test func ageQueriesOfBothProfiles() {
        let istio = IstioQueries(window: "1m").promql("span")
        #expect(istio.contains(#"timestamp(istio_requests_total{reporter=~"destination|waypoint"})[1m:1s]"#), "\(istio)")
        #expect(istio.hasPrefix("(label_replace(max by (reporter, source_workload, "), "\(istio)")
        #expect(istio.contains(#""rate_span", "age""#) && istio.contains(#""rate_span", "young""#))
        let envoy = EnvoyQueries(window: "5m").promql("span")
        #expect(envoy.contains(#"timestamp(envoy_cluster_upstream_rq{response_code_class=""})[5m:3s]"#), "\(envoy)")
        let young = IstioQueries(window: "1m", reporter: .source).promql("span")
        #expect(young.contains(#"max_over_time(istio_requests_total{reporter=~"source"}[1m]) - min_over_time("#), "\(young)")
        #expect(young.hasSuffix(#"[1m:1s])) > 0)), "rate_span", "young", "", "")"#), "\(young)")
    }

    @Test func backfilledSparklinesAreScaledInTheEdgesFirstWindow() {
        let young = EdgeKey(labels: edge)
        let old = EdgeKey(labels: with(["destination_workload": "old"]))
        // A 120 s span from t=1000 at 1 s steps: the young edge's first point at t=1100,
        // each step's rate(...[1m]) the increase of 20 req/s over the seconds it existed.
        var rates: [EdgeKey: [Double: Double]] = [young: [:], old: [:]]
        for t in stride(from: 1_100.0, through: 1_119, by: 1) { rates[young]![t] = 20 * (t - 1_100 + 1) / 60 }
        for t in stride(from: 1_000.0, through: 1_119, by: 1) { rates[old]![t] = 5 }
        let scaled = RateSpan.backfilled(rates, from: 1_000, step: 1, window: 60)
        #expect(scaled[young]?.values.allSatisfy { abs($0 - 20) < 1e-9 } == true, "\(scaled[young] ?? [:])")
        // There from the span's start: older than the data shows, left as Prometheus said.
        #expect(scaled[old] == rates[old])
    }
}
