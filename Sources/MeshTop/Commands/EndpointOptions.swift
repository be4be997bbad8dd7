import ArgumentParser
import Collectors
import Foundation

/// The flags naming what `top`, `snapshot` and `health` connect to. Resolved with the
/// environment and the config file into `Endpoints` (pure: flags, then environment, then
/// file), which `Endpoints.open()` then opens.
struct EndpointOptions: ParsableArguments {
    @Option(help: "Prometheus base URL (env MESHTOP_PROMETHEUS). Without one and with a kube context, kubectl port-forward to istio-system/prometheus.")
    var prometheus: String?

    @Option(help: "Bearer token for Prometheus behind an auth proxy (env MESHTOP_PROMETHEUS_TOKEN).")
    var prometheusToken: String?

    @Option(help: "A header 'Name: value' sent with every Prometheus request, e.g. 'X-Scope-OrgID: tenant' (repeatable; replaces the config file's prometheus_headers).")
    var prometheusHeader: [String] = []

    @Option(help: "The PromQL backend: prometheus, victoriametrics, mimir, thanos or generic (readiness by a query). Default: detected at the first poll.")
    var prometheusKind: String?

    @Option(help: "etcd client URLs, comma-separated, or k8s:NAMESPACE/SERVICE to port-forward (env MESHTOP_ETCD).")
    var etcd: String?

    @Option(help: "CA file for etcd's TLS.") var etcdCacert: String?
    @Option(help: "Client certificate for etcd's mutual TLS.") var etcdCert: String?
    @Option(help: "Client key for etcd's mutual TLS.") var etcdKey: String?

    @Option(help: "storage-service base URL (env MESHTOP_SERVICE).")
    var service: String?

    @Option(help: "kubectl context for the Kubernetes checks and port-forwards.")
    var context: String?

    @Option(name: [.customShort("n"), .long], help: "Namespace of the app's pods (default: default); given, the dashboard's Traffic panel shows only edges from or to it (N changes it).")
    var namespace: String?

    @Option(help: "Config file (default $XDG_CONFIG_HOME/meshtop/config.yaml).")
    var config: String?

    @Option(help: "How often each source is polled, e.g. 1s.")
    var interval: String?

    @Option(help: "Window of the Prometheus rates, e.g. 1m.")
    var window: String?

    @Option(help: "Istio reporter of the metrics: auto (default: destination, or waypoint where the destination reports no requests), destination, source or waypoint.")
    var reporter: String?

    @Option(help: "gRPC statuses that count as failed calls, names or numbers, comma-separated, or none (default: every status but OK).")
    var grpcFailureCodes: String?

    @Option(help: "Metrics profile: istio (istio_requests_total), envoy (envoy_cluster_upstream_rq*), or auto (default): the one Prometheus has, istio when both.")
    var profile: String?

    @Option(help: "Tracing UI link for a request's details, with {request_id} and {trace_id}, e.g. http://jaeger:16686/trace/{trace_id}.")
    var tracingURL: String?

    @Option(help: "Largest HTTP answer read from any source, e.g. 16MiB (default); a larger one is an error.")
    var maxAnswerSize: String?

    func validate() throws {
        // Interval, window, reporter and profile may come from the config file too:
        // `resolve` checks them wherever they come from.
        for url in [prometheus, service].compactMap({ $0 }) + (etcd.map(Self.list) ?? []) where !url.hasPrefix("k8s:") {
            if let problem = URLCheck.baseProblem(url) { throw ValidationError(problem) }
        }
        // Checked now, not at the first TLS handshake, where a missing file reads as a
        // handshake failure.
        for (flag, path) in [("--etcd-cacert", etcdCacert), ("--etcd-cert", etcdCert), ("--etcd-key", etcdKey)] {
            guard let path else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else { throw ValidationError("\(flag) \(path): no such readable file") }
        }
        if (etcdCert == nil) != (etcdKey == nil) { throw ValidationError("--etcd-cert and --etcd-key go together") }
        for line in prometheusHeader {
            do throws(SettingError) { _ = try HTTPSyntax.headerField(line) } catch { throw ValidationError("--prometheus-header: \(error.description)") }
        }
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

    /// The config file's settings: the one part of resolving that reads a file.
    func configFile(environment: [String: String]) throws -> MeshTopConfig {
        do {
            return try MeshTopConfig.load(path: config ?? MeshTopConfig.defaultPath(environment: environment), explicit: config != nil)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Reads the config file and resolves.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Endpoints {
        try resolve(environment: environment, file: configFile(environment: environment))
    }

    /// Each setting from its flag, else the environment, else the file, else its default;
    /// checked wherever it came from. Pure: no process, no file, no socket.
    func resolve(environment: [String: String], file: MeshTopConfig) throws -> Endpoints {
        do {
            return try resolving(environment: environment, file: file)
        } catch {
            throw ValidationError(error.description)
        }
    }

    private func resolving(environment: [String: String], file: MeshTopConfig) throws(SettingError) -> Endpoints {
        var result = Endpoints()
        func setting(_ flag: String, _ value: String?, env variable: String? = nil, file key: String, _ fileValue: String?, default fallback: String) -> Setting {
            Setting.first(flag: (flag, value), variable: variable, in: environment, file: (key, fileValue), fallback: fallback)!
        }
        func url(_ flag: String, _ value: String?, env variable: String, file key: String, _ fileValue: String?) throws(SettingError) -> String? {
            guard let found = Setting.first(flag: (flag, value), variable: variable, in: environment, file: (key, fileValue)) else { return nil }
            return try Self.checked(found)
        }
        result.interval = try setting("--interval", interval, file: "interval", file.interval, default: "1s")
            .parsed("interval", "is not a duration such as 1s") { DurationText.parse($0).flatMap { $0 > .zero ? $0 : nil } }
        let window = try setting("--window", self.window, file: "window", file.window, default: "1m")
            .parsed("window", "is not a Prometheus duration") { Self.isPromDuration($0) ? $0 : nil }
        let reporter = try setting("--reporter", self.reporter, file: "reporter", file.reporter, default: "auto")
            .parsed("reporter", "is none of auto, destination, source, waypoint", IstioQueries.Reporter.init(rawValue:))
        result.queries = IstioQueries(window: window, reporter: reporter, overrides: file.queries ?? [:])
        if let codes = Setting.first(flag: ("--grpc-failure-codes", grpcFailureCodes), file: ("grpc_failure_codes", file.grpc_failure_codes)) {
            result.grpcFailures = try codes.parsed("gRPC failure codes", "is not a list of gRPC status names or numbers (UNAVAILABLE,14) or none", GRPCFailures.init(list:))
        }
        if let link = Setting.first(flag: ("--tracing-url", tracingURL), file: ("tracing_url", file.tracing_url)) {
            // Braces are not URL characters: the check sees the template filled in.
            if let problem = URLCheck.problem(TracingLink(template: link.text).sample) {
                throw SettingError("tracing URL \(problem) (\(link.origin))")
            }
            result.tracingURL = TracingLink(template: link.text)
        }
        result.envoyQueries = EnvoyQueries(window: window, overrides: file.envoy_queries ?? [:])
        result.profile = try setting("--profile", profile, file: "profile", file.profile, default: "auto")
            .parsed("profile", "is none of istio, envoy, auto", MetricsProfile.Choice.init(rawValue:))
        if let thresholds = file.thresholds {
            if let value = thresholds.success_rate { result.thresholds.successRate = value }
            if let value = thresholds.p99_ms { result.thresholds.p99Milliseconds = value }
            if let value = thresholds.raft_lag { result.thresholds.raftLag = value }
        }
        if let size = Setting.first(flag: ("--max-answer-size", maxAnswerSize), file: ("max_answer_size", file.max_answer_size)) {
            result.maxAnswerBytes = try size.parsed("max answer size", "is not a size such as 16MiB", Self.byteSize)
        }

        result.prometheusToken =
            Setting.first(
                flag: ("--prometheus-token", prometheusToken), variable: "MESHTOP_PROMETHEUS_TOKEN", in: environment,
                file: ("prometheus_token", file.prometheus_token))?.text
        if let url = try url("--prometheus", prometheus, env: "MESHTOP_PROMETHEUS", file: "prometheus", file.prometheus) {
            result.prometheus = .url(url)
        }
        // The flags replace the file's list as a whole: one place says what a tenant sends.
        let headers: (origin: Setting.Origin, lines: [String]) =
            prometheusHeader.isEmpty
            ? (.file(key: "prometheus_headers"), file.prometheus_headers ?? []) : (.flag("--prometheus-header"), prometheusHeader)
        result.prometheusHeaders = try headers.lines.map { line throws(SettingError) in
            do throws(SettingError) { return try HTTPSyntax.headerField(line) } catch { throw SettingError("\(error.description) (\(headers.origin))") }
        }
        if let kind = Setting.first(flag: ("--prometheus-kind", prometheusKind), file: ("prometheus_kind", file.prometheus_kind)) {
            result.prometheusKind = try kind.parsed(
                "prometheus kind", "is none of " + PrometheusKind.allCases.map(\.rawValue).joined(separator: ", "),
                PrometheusKind.init(rawValue:))
        }
        let etcdEntries: [Setting] =
            Setting.first(flag: ("--etcd", etcd), variable: "MESHTOP_ETCD", in: environment).map { found in
                Self.list(found.text).map { Setting($0, from: found.origin) }
            } ?? (file.etcd ?? []).map { Setting($0, from: .file(key: "etcd")) }
        for entry in etcdEntries {
            guard entry.text.hasPrefix("k8s:") else {
                result.etcd.append(.url(try Self.checked(entry)))
                continue
            }
            let forward = try entry.parsed("etcd", "is not k8s:NAMESPACE/SERVICE") { text -> Endpoints.Forward? in
                let target = text.dropFirst(4).split(separator: "/", maxSplits: 1).map(String.init)
                return target.count == 2 ? Endpoints.Forward(namespace: target[0], service: target[1], port: 2379) : nil
            }
            result.etcd.append(.forward(forward))
        }
        if etcdCacert != nil || etcdCert != nil || etcdKey != nil {
            result.etcdTLS = CurlTLS(caFile: etcdCacert, certFile: etcdCert, keyFile: etcdKey)
        }
        result.service = try url("--service", service, env: "MESHTOP_SERVICE", file: "service", file.service)
        result.context = context
        result.namespace = namespace ?? "default"
        return result
    }

    /// URLs from the environment or the file get the flags' check.
    private static func checked(_ found: Setting) throws(SettingError) -> String {
        if let problem = URLCheck.baseProblem(found.text) { throw SettingError("\(problem) (\(found.origin))") }
        return found.text
    }
}
