import ArgumentParser
import Collectors
import Foundation

/// The sources of `top`, `snapshot` and `health`, from flags, then the environment, then
/// the config file.
struct SourceOptions: ParsableArguments {
    @Option(help: "Prometheus base URL (env MESHTOP_PROMETHEUS). Without one and with a kube context, kubectl port-forward to istio-system/prometheus.")
    var prometheus: String?

    @Option(help: "Bearer token for Prometheus behind an auth proxy (env MESHTOP_PROMETHEUS_TOKEN).")
    var prometheusToken: String?

    @Option(help: "etcd client URLs, comma-separated, or k8s:NAMESPACE/SERVICE to port-forward (env MESHTOP_ETCD).")
    var etcd: String?

    @Option(help: "CA file for etcd's TLS.") var etcdCacert: String?
    @Option(help: "Client certificate for etcd's mutual TLS.") var etcdCert: String?
    @Option(help: "Client key for etcd's mutual TLS.") var etcdKey: String?

    @Option(help: "storage-service base URL (env MESHTOP_SERVICE).")
    var service: String?

    @Option(help: "kubectl context for the Kubernetes checks and port-forwards.")
    var context: String?

    @Option(name: [.customShort("n"), .long], help: "Namespace of the app's pods (default: default).")
    var namespace: String?

    @Option(help: "Config file (default $XDG_CONFIG_HOME/meshtop/config.yaml).")
    var config: String?

    @Option(help: "How often each source is polled, e.g. 1s.")
    var interval: String?

    @Option(help: "Window of the Prometheus rates, e.g. 1m.")
    var window: String?

    @Option(help: "Istio reporter of the metrics: destination or source.")
    var reporter: String?

    @Option(help: "Metrics profile: istio (istio_requests_total), envoy (envoy_cluster_upstream_rq*), or auto (default): the one Prometheus has, istio when both.")
    var profile: String?

    @Option(help: "Largest HTTP answer read from any source, e.g. 16MiB (default); a larger one is an error.")
    var maxAnswerSize: String?

    func validate() throws {
        // Interval, window, reporter and profile may come from the config file too:
        // `pollerConfig` checks them wherever they come from.
        for url in [prometheus, service].compactMap({ $0 }) + (etcd.map(Self.list) ?? []) where !url.hasPrefix("k8s:") {
            if let problem = URLCheck.problem(url) { throw ValidationError(problem) }
        }
        // Checked now, not at the first TLS handshake, where a missing file reads as a
        // handshake failure.
        for (flag, path) in [("--etcd-cacert", etcdCacert), ("--etcd-cert", etcdCert), ("--etcd-key", etcdKey)] {
            guard let path else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else { throw ValidationError("\(flag) \(path): no such readable file") }
        }
        if (etcdCert == nil) != (etcdKey == nil) { throw ValidationError("--etcd-cert and --etcd-key go together") }
        if let maxAnswerSize, Self.byteSize(maxAnswerSize) == nil {
            throw ValidationError("--max-answer-size '\(maxAnswerSize)' is not a size such as 16MiB")
        }
    }

    /// 512KiB, 16MiB, 1GiB, or plain bytes; at least 1 KiB.
    static func byteSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number.isFinite,
                number * Double(scale) >= 1_024, number * Double(scale) <= Double(1 << 40)
            else { return nil }
            return Int(number * Double(scale))
        }
        guard let bytes = Int(trimmed), bytes >= 1_024 else { return nil }
        return bytes
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isPromDuration(_ text: String) -> Bool {
        text.range(of: #"^([0-9]+(ms|s|m|h|d|w|y))+$"#, options: .regularExpression) != nil
    }

    /// The poller's configuration, and the port-forwards it uses (stopped with them).
    func pollerConfig(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (
        PollerConfig, [PortForward]
    ) {
        let file: MeshTopConfig
        do {
            file = try MeshTopConfig.load(
                path: config ?? MeshTopConfig.defaultPath(environment: environment), explicit: config != nil)
        } catch {
            throw ValidationError(error.description)
        }
        var result = PollerConfig()
        // `kubectl config current-context` runs at most once, and only when something needs it.
        var knownContext: Bool?
        func hasContext() -> Bool {
            if let knownContext { return knownContext }
            let found = PortForward.hasContext(context: context)
            knownContext = found
            return found
        }
        var forwards: [PortForward] = []
        let intervalText = interval ?? file.interval ?? "1s"
        guard let interval = DurationText.parse(intervalText), interval > .zero else {
            throw ValidationError("interval '\(intervalText)' is not a duration such as 1s")
        }
        result.interval = interval
        let windowText = window ?? file.window ?? "1m"
        guard Self.isPromDuration(windowText) else { throw ValidationError("window '\(windowText)' is not a Prometheus duration") }
        let reporterText = reporter ?? file.reporter ?? "destination"
        guard let reporter = IstioQueries.Reporter(rawValue: reporterText) else {
            throw ValidationError("reporter '\(reporterText)' is neither destination nor source")
        }
        result.queries = IstioQueries(window: windowText, reporter: reporter, overrides: file.queries ?? [:])
        result.envoyQueries = EnvoyQueries(window: windowText, overrides: file.envoy_queries ?? [:])
        let profileText = profile ?? file.profile ?? "auto"
        guard let profile = MetricsProfile.Choice(rawValue: profileText) else {
            throw ValidationError("profile '\(profileText)' is none of istio, envoy, auto")
        }
        result.profile = profile
        if let thresholds = file.thresholds {
            if let value = thresholds.success_rate { result.thresholds.successRate = value }
            if let value = thresholds.p99_ms { result.thresholds.p99Milliseconds = value }
            if let value = thresholds.raft_lag { result.thresholds.raftLag = value }
        }

        let answerText = maxAnswerSize ?? file.max_answer_size
        var answerLimit = CurlRequest.defaultMaxResponseBytes
        if let answerText {
            guard let bytes = Self.byteSize(answerText) else {
                throw ValidationError("max answer size '\(answerText)' is not a size such as 16MiB")
            }
            answerLimit = bytes
        }
        func http(_ url: String, auth: CurlAuth? = nil) -> CurlHTTPClient {
            CurlHTTPClient(baseURL: url, auth: auth, maxResponseBytes: answerLimit)
        }

        let token = prometheusToken ?? environment["MESHTOP_PROMETHEUS_TOKEN"] ?? file.prometheus_token
        // URLs from the environment or the file get the flags' check.
        func checked(_ url: String) throws -> String {
            if let problem = URLCheck.problem(url) { throw ValidationError(problem) }
            return url
        }
        if let url = try (prometheus ?? environment["MESHTOP_PROMETHEUS"] ?? file.prometheus).map(checked) {
            result.prometheus = PrometheusClient(http(url, auth: token.map(CurlAuth.bearer)))
        } else if hasContext() {
            // Istio's addon installs Prometheus as istio-system/prometheus.
            if let forward = try? PortForward(context: context, namespace: "istio-system", service: "prometheus", port: 9090) {
                forwards.append(forward)
                result.prometheus = PrometheusClient(http(forward.localURL, auth: token.map(CurlAuth.bearer)))
            }
        }

        let etcdList = etcd.map(Self.list) ?? environment["MESHTOP_ETCD"].map(Self.list) ?? file.etcd ?? []
        var endpoints: [String] = []
        for entry in etcdList {
            guard entry.hasPrefix("k8s:") else {
                endpoints.append(try checked(entry))
                continue
            }
            let target = entry.dropFirst(4).split(separator: "/", maxSplits: 1).map(String.init)
            guard target.count == 2 else { throw ValidationError("'\(entry)' is not k8s:NAMESPACE/SERVICE") }
            do {
                let forward = try PortForward(context: context, namespace: target[0], service: target[1], port: 2379)
                forwards.append(forward)
                endpoints.append(forward.localURL)
            } catch {
                throw ValidationError(error.description)
            }
        }
        if !endpoints.isEmpty {
            let tls =
                etcdCacert == nil && etcdCert == nil && etcdKey == nil
                ? nil : CurlTLS(caFile: etcdCacert, certFile: etcdCert, keyFile: etcdKey)
            // Behind a port-forward the members' own URLs are in the cluster: probe what was given.
            let forwarded = etcdList.contains { $0.hasPrefix("k8s:") }
            result.etcd = EtcdProbe(endpoints: endpoints, tls: tls, discover: !forwarded, maxResponseBytes: answerLimit)
        }
        if let url = try (service ?? environment["MESHTOP_SERVICE"] ?? file.service).map(checked) {
            result.service = http(url)
        }
        // Only with a current context: without one every kubectl call is a failed connection.
        if !Self.onPath("kubectl", environment: environment) {
            result.kubeSkipped = "kubectl is not on PATH"
        } else if !hasContext() {
            result.kubeSkipped = "kubectl has no current context (--context)"
        } else {
            result.kube = KubeProbe(context: context, namespace: namespace ?? "default")
        }
        return (result, forwards)
    }

    /// Polls every source `times` times, an interval apart, and returns what was seen;
    /// port-forwards are stopped before it returns.
    func snapshot(polls times: Int = 1) async throws -> Snapshot {
        let (config, forwards) = try pollerConfig()
        defer { forwards.forEach { $0.stop() } }
        let poller = Poller(config)
        for round in 1...times {
            await poller.pollOnce()
            if round < times { try await Task.sleep(for: config.interval) }
        }
        return await poller.snapshot()
    }

    static func onPath(_ tool: String, environment: [String: String]) -> Bool {
        (environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }
}
