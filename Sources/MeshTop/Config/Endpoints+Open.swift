import ArgumentParser
import Collectors
import Foundation

/// Opening what `Endpoints` names: kubectl is asked for its context, port-forwards are
/// started, and the clients are made. The one step of `top`, `snapshot` and `health` with
/// side effects before polling.
extension Endpoints {
    /// The poller's configuration, and the port-forwards it uses (stopped with them); every
    /// client's exchanges go to `tap` when one is given (a recording).
    func open(
        environment: [String: String] = ProcessInfo.processInfo.environment, tap: ExchangeTap? = nil,
        replay: ExchangeReplay? = nil
    ) throws -> (PollerConfig, [PortForward]) {
        var result = PollerConfig()
        result.interval = interval
        result.queries = queries
        result.envoyQueries = envoyQueries
        result.profile = profile
        result.grpcFailures = grpcFailures
        result.thresholds = thresholds
        // `kubectl config current-context` runs at most once, and only when something needs it.
        var knownContext: Bool?
        func hasContext() -> Bool {
            if let knownContext { return knownContext }
            let found = PortForward.hasContext(context: context)
            knownContext = found
            return found
        }
        func prometheusClient(_ http: CurlHTTPClient) -> PrometheusClient {
            PrometheusClient(http, headers: prometheusHeaders, kind: prometheusKind)
        }
        func http(_ url: String, auth: CurlAuth? = nil) -> CurlHTTPClient {
            CurlHTTPClient(baseURL: url, auth: auth, maxResponseBytes: maxAnswerBytes, tap: tap, replay: replay)
        }
        var forwards: [PortForward] = []
        func forwarded(_ forward: Forward) throws(KubeError) -> String {
            let started = try PortForward(context: context, namespace: forward.namespace, service: forward.service, port: forward.port)
            forwards.append(started)
            return started.localURL
        }

        switch prometheus {
        case .url(let url):
            result.prometheus = prometheusClient(http(url, auth: prometheusToken.map(CurlAuth.bearer)))
        case .forwardWithContext(let forward):
            // Without a reachable Prometheus the dashboard still shows etcd and the logs.
            if hasContext(), let url = try? forwarded(forward) {
                result.prometheus = prometheusClient(http(url, auth: prometheusToken.map(CurlAuth.bearer)))
            }
        }

        var urls: [String] = []
        for entry in etcd {
            switch entry {
            case .url(let url): urls.append(url)
            case .forward(let forward):
                do { urls.append(try forwarded(forward)) } catch { throw ValidationError(error.description) }
            }
        }
        if !urls.isEmpty {
            // Behind a port-forward the members' own URLs are in the cluster: probe what was given.
            let viaForward = etcd.contains { if case .forward = $0 { true } else { false } }
            result.etcd = EtcdProbe(endpoints: urls, tls: etcdTLS, discover: !viaForward, maxResponseBytes: maxAnswerBytes, tap: tap, replay: replay)
        }
        result.service = service.map { http($0) }
        // Only with a current context: without one every kubectl call is a failed connection.
        if replay != nil {
            result.kubeSkipped = "replayed from a recording"
        } else if Subprocess.locate("kubectl", path: environment["PATH"]) == nil {
            result.kubeSkipped = "kubectl is not on PATH"
        } else if !hasContext() {
            result.kubeSkipped = "kubectl has no current context (--context)"
        } else {
            result.kube = KubeProbe(context: context, namespace: namespace)
        }
        return (result, forwards)
    }

    /// Opens, polls every source `times` times an interval apart, and returns what was seen;
    /// port-forwards are stopped before it returns.
    /// `countsSince`: the telemetry ledger's metrics count from then on.
    func snapshot(polls times: Int = 1, countsSince: Date? = nil) async throws -> Snapshot {
        var (config, forwards) = try open()
        config.countsSince = countsSince
        defer { forwards.forEach { $0.stop() } }
        let poller = Poller(config)
        for round in 1...times {
            await poller.pollOnce()
            if round < times { try await Task.sleep(for: config.interval) }
        }
        return await poller.snapshot()
    }
}
