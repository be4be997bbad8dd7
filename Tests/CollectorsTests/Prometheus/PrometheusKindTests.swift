import Collectors
import Foundation
import Testing

/// Which backend answers, from what it says at `/api/v1/status/buildinfo` and `/health`, and
/// what follows from it. The answers are the backends' own: Prometheus 2.42's and
/// VictoriaMetrics 1.79's as they answered here; Mimir's and Thanos's written from their
/// documentation, as neither runs on this machine.
@Suite struct PrometheusKindTests {
    private func answer(_ text: String, status: Int = 200) -> (status: Int, body: [UInt8]) { (status, Array(text.utf8)) }
    private let notFound: (status: Int, body: [UInt8]) = (404, Array("404 page not found\n".utf8))

    @Test func eachBackendIsToldApartByItsOwnAnswers() {
        let prometheus = answer(#"{"status":"success","data":{"version":"2.42.0","revision":"","branch":"debian/sid","goVersion":"go1.19.8"}}"#)
        #expect(PrometheusKind.detect(buildInfo: prometheus, health: notFound) == .prometheus)
        let victoria = answer(#"{"status":"success","data":{}}"#)
        #expect(PrometheusKind.detect(buildInfo: victoria, health: answer("OK")) == .victoriametrics)
        let mimir = answer(#"{"status":"success","data":{"application":"Grafana Mimir","version":"2.10.0","revision":"abc","branch":"HEAD","goVersion":"go1.21.1","features":{"ruler_config_api":"true"}}}"#)
        #expect(PrometheusKind.detect(buildInfo: mimir, health: notFound) == .mimir)
        let thanos = answer(#"{"status":"success","data":{"version":"0.32.5","revision":"abc","branch":"HEAD","buildUser":"root","goVersion":"go1.21.3"}}"#)
        #expect(PrometheusKind.detect(buildInfo: thanos, health: notFound) == .thanos)
        // A proxy that knows neither, or a backend that says nothing useful.
        #expect(PrometheusKind.detect(buildInfo: notFound, health: notFound) == .generic)
        #expect(PrometheusKind.detect(buildInfo: answer("<html>"), health: answer("healthy")) == .generic)
        #expect(PrometheusKind.detect(buildInfo: nil, health: nil) == .generic)
    }

    @Test func readinessAndTargetsFollowTheKind() {
        func readiness(_ kind: PrometheusKind) -> String? { kind.readiness.map { "\($0.path) \($0.onOrigin ? "at the root" : "under the prefix")" } }
        #expect(readiness(.prometheus) == "/-/ready under the prefix")
        #expect(readiness(.thanos) == "/-/ready under the prefix")
        #expect(readiness(.victoriametrics) == "/health at the root")
        #expect(readiness(.mimir) == "/ready at the root")
        #expect(PrometheusKind.generic.readiness == nil)
        #expect(!PrometheusKind.mimir.hasTargets && PrometheusKind.victoriametrics.hasTargets)
        #expect(PrometheusKind.prometheus.needsTargets && !PrometheusKind.victoriametrics.needsTargets)
    }

    @Test func theOriginKeepsUserInfoAndDropsThePrefix() {
        #expect(CurlHTTPClient(baseURL: "http://mimir:8080/prometheus/").baseURL == "http://mimir:8080/prometheus")
        #expect(CurlHTTPClient(baseURL: "http://mimir:8080/prometheus//").baseURL == "http://mimir:8080/prometheus")
        #expect(CurlHTTPClient(baseURL: "http://mimir:8080/prometheus").origin == "http://mimir:8080")
        #expect(CurlHTTPClient(baseURL: "https://u:p@vm.example/select/0/prometheus").origin == "https://u:p@vm.example")
        #expect(CurlHTTPClient(baseURL: "http://[::1]:8428/prometheus").origin == "http://[::1]:8428")
        #expect(CurlHTTPClient(baseURL: "http://127.0.0.1:9090").origin == "http://127.0.0.1:9090")
    }

    @Test func healthSaysTheKindAndDoesNotWarnWhereTargetsAreNotTheBackendsJob() {
        func check(_ facts: HealthEvaluator.PrometheusFacts, _ name: String) -> HealthCheck? {
            HealthEvaluator.prometheus(facts, thresholds: HealthThresholds()).first { $0.name == name }
        }
        var facts = HealthEvaluator.PrometheusFacts(notReady: nil, targets: (0, 0))
        facts.kind = .victoriametrics
        #expect(check(facts, "prometheus ready")?.message == "ready (victoriametrics: /health)")
        #expect(check(facts, "scrape targets")?.status == .skipped)
        facts.kind = .prometheus
        #expect(check(facts, "scrape targets")?.status == .warn)
        facts = HealthEvaluator.PrometheusFacts(notReady: nil)
        facts.kind = .generic
        facts.noTargetsAPI = true
        #expect(check(facts, "scrape targets")?.status == .skipped)
        #expect(check(facts, "prometheus ready")?.message == "ready (generic: query 1)")
        facts.kind = .mimir
        facts.noTargetsAPI = false
        #expect(check(facts, "scrape targets")?.message == "mimir has no scrape targets API")
        facts.warnings = ["store 10.0.0.3:10901 unreachable"]
        let warning = check(facts, "prometheus warnings")
        #expect(warning?.status == .warn && warning?.message == "partial answer: store 10.0.0.3:10901 unreachable")
        #expect(HealthEvaluator.prometheus(facts, thresholds: HealthThresholds()).allSatisfy { $0.status != .fail })
    }
}
