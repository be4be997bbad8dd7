import Collectors
import Foundation
import Testing

@testable import MeshTop

/// Resolving flags, environment and config file into `Endpoints`: pure, so no kubectl,
/// no file and no port-forward is involved here.
@Suite struct EndpointOptionsResolveTests {
    private func resolve(_ flags: [String], environment: [String: String] = [:], file: MeshTopConfig = MeshTopConfig()) throws -> Endpoints {
        try EndpointOptions.parse(flags).resolve(environment: environment, file: file)
    }

    private func message(_ flags: [String], environment: [String: String] = [:], file: MeshTopConfig = MeshTopConfig()) -> String? {
        do {
            _ = try resolve(flags, environment: environment, file: file)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func nothingGivenIsTheDefaultsAndPrometheusThroughAForward() throws {
        let endpoints = try resolve([])
        #expect(endpoints.prometheus == .forwardWithContext(Endpoints.Forward(namespace: "istio-system", service: "prometheus", port: 9090)))
        #expect(endpoints.etcd.isEmpty && endpoints.service == nil && endpoints.etcdTLS == nil)
        #expect(endpoints.interval == .seconds(1))
        #expect(endpoints.queries == IstioQueries(window: "1m", reporter: .auto))
        #expect(endpoints.grpcFailures == .standard && endpoints.tracingURL == nil)
        #expect(endpoints.profile == .auto)
        #expect(endpoints.namespace == "default" && endpoints.context == nil)
        #expect(endpoints.maxAnswerBytes == CurlRequest.defaultMaxResponseBytes)
    }

    @Test func aFlagWinsOverTheEnvironmentWhichWinsOverTheFile() throws {
        var file = MeshTopConfig()
        file.prometheus = "http://file:9090"
        file.service = "http://file:8080"
        file.etcd = ["http://file:2379"]
        file.prometheus_token = "file-token"
        let environment = ["MESHTOP_PROMETHEUS": "http://env:9090", "MESHTOP_SERVICE": "http://env:8080", "MESHTOP_PROMETHEUS_TOKEN": "env-token"]
        let endpoints = try resolve(["--prometheus", "http://flag:9090"], environment: environment, file: file)
        #expect(endpoints.prometheus == .url("http://flag:9090"))
        #expect(endpoints.service == "http://env:8080")
        #expect(endpoints.etcd == [.url("http://file:2379")])
        #expect(endpoints.prometheusToken == "env-token")
        let fromFile = try resolve([], file: file)
        #expect(fromFile.prometheus == .url("http://file:9090") && fromFile.prometheusToken == "file-token")
    }

    @Test func etcdListsAndForwards() throws {
        let endpoints = try resolve(["--etcd", "http://a:2379, k8s:mesh/etcd-client ,,http://b:2379"])
        #expect(endpoints.etcd == [.url("http://a:2379"), .forward(Endpoints.Forward(namespace: "mesh", service: "etcd-client", port: 2379)), .url("http://b:2379")])
        let environment = try resolve([], environment: ["MESHTOP_ETCD": "http://c:2379,http://d:2379"])
        #expect(environment.etcd == [.url("http://c:2379"), .url("http://d:2379")])
        #expect(message(["--etcd", "k8s:etcd-only"])?.contains("etcd 'k8s:etcd-only' is not k8s:NAMESPACE/SERVICE (--etcd)") == true)
    }

    @Test func settingsFromTheFileAreCheckedAndTheMessageSaysWhere() throws {
        var file = MeshTopConfig()
        file.interval = "250ms"
        file.window = "5m"
        file.reporter = "source"
        file.profile = "envoy"
        file.max_answer_size = "1MiB"
        file.queries = ["tcp_sent": "up"]
        file.thresholds = .init(success_rate: 0.5, p99_ms: 20, raft_lag: 7)
        let endpoints = try resolve([], file: file)
        #expect(endpoints.interval == .milliseconds(250))
        #expect(endpoints.queries == IstioQueries(window: "5m", reporter: .source, overrides: ["tcp_sent": "up"]))
        #expect(endpoints.envoyQueries == EnvoyQueries(window: "5m"))
        #expect(endpoints.profile == .envoy)
        #expect(endpoints.maxAnswerBytes == 1 << 20)
        #expect(endpoints.thresholds.successRate == 0.5 && endpoints.thresholds.p99Milliseconds == 20 && endpoints.thresholds.raftLag == 7)
        // The flag wins over the file.
        #expect(try resolve(["--interval", "2s", "--profile", "istio"], file: file).interval == .seconds(2))

        file.interval = "fast"
        #expect(message([], file: file) == "interval 'fast' is not a duration such as 1s (config file key interval)")
        #expect(message(["--interval", "0s"]) == "interval '0s' is not a duration such as 1s (--interval)")
        #expect(message(["--window", "5 minutes"])?.hasPrefix("window '5 minutes' is not a Prometheus duration") == true)
        #expect(message(["--reporter", "proxy"])?.hasPrefix("reporter 'proxy' is none of auto, destination, source, waypoint") == true)
        #expect(message(["--grpc-failure-codes", "UNAVAILABLE,BROKEN"])?.hasPrefix("gRPC failure codes 'UNAVAILABLE,BROKEN' is not a list") == true)
        #expect(message(["--tracing-url", "file:///etc/passwd"]) != nil)
        var badSize = MeshTopConfig()
        badSize.max_answer_size = "lots"
        #expect(message([], file: badSize) == "max answer size 'lots' is not a size such as 16MiB (config file key max_answer_size)")
    }

    @Test func urlsFromTheEnvironmentAndTheFileGetTheFlagsCheck() {
        #expect(message([], environment: ["MESHTOP_SERVICE": "localhost:8080"]) == "'localhost:8080' is not an http:// or https:// URL (env MESHTOP_SERVICE)")
        var file = MeshTopConfig()
        file.etcd = ["http://"]
        #expect(message([], file: file) == "'http://' has no host (config file key etcd)")
    }

    @Test func tlsContextAndNamespacePassThrough() throws {
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem").path
        try #require(FileManager.default.createFile(atPath: ca, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: ca) }
        let endpoints = try resolve(["--etcd", "https://a:2379", "--etcd-cacert", ca, "--context", "kind-mesh", "-n", "apps"])
        #expect(endpoints.etcdTLS == CurlTLS(caFile: ca))
        #expect(endpoints.context == "kind-mesh" && endpoints.namespace == "apps")
    }

    @Test func aPrometheusPathPrefixHeadersAndKind() throws {
        var file = MeshTopConfig()
        file.prometheus = "http://mimir:8080/prometheus"
        file.prometheus_headers = ["X-Scope-OrgID: team-a", "X-Extra:  two words "]
        file.prometheus_kind = "mimir"
        let fromFile = try resolve([], file: file)
        #expect(fromFile.prometheus == .url("http://mimir:8080/prometheus"))
        #expect(fromFile.prometheusHeaders == [HeaderField(name: "X-Scope-OrgID", value: "team-a"), HeaderField(name: "X-Extra", value: "two words")])
        #expect(fromFile.prometheusKind == .mimir)
        // The flags replace the file's headers as a whole; the kind flag wins over the file's.
        let flags = try resolve(
            ["--prometheus-header", "X-Scope-OrgID: team-b", "--prometheus-kind", "victoriametrics",
             "--prometheus", "http://vmselect:8481/select/0/prometheus/"], file: file)
        #expect(flags.prometheusHeaders == [HeaderField(name: "X-Scope-OrgID", value: "team-b")])
        #expect(flags.prometheusKind == .victoriametrics)
        #expect(flags.prometheus == .url("http://vmselect:8481/select/0/prometheus/"))
        #expect(try resolve([]).prometheusKind == nil)
    }

    @Test func badHeadersNameWhereButNeverQuoteTheValue() {
        var file = MeshTopConfig()
        file.prometheus_headers = ["X-Scope-OrgID: secret\r\nX-Admin: 1"]
        let fromFile = message([], file: file) ?? ""
        #expect(fromFile.contains("header X-Scope-OrgID: the value cannot hold a line break") && fromFile.contains("(config file key prometheus_headers)"), "\(fromFile)")
        #expect(!fromFile.contains("secret"))
        file.prometheus_headers = ["X-Scope-OrgID secret"]
        let noColon = message([], file: file) ?? ""
        #expect(noColon.contains("no colon") && !noColon.contains("secret"), "\(noColon)")
        file.prometheus_kind = "cortex"
        #expect(message(["--prometheus-header", "A: b"], file: file)?.contains("prometheus kind 'cortex' is none of prometheus, victoriametrics, mimir, thanos, generic (config file key prometheus_kind)") == true)
        #expect(message(["--prometheus", "http://mimir/prometheus?org=a"])?.contains("has a query or fragment") == true)
    }
}
