import ArgumentParser
import Collectors
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

@main
struct StorageServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-service",
        abstract: "Stores keys and values in etcd behind a small HTTP API and web UI.",
        discussion: """
            Environment fallbacks: PORT, ETCD_ENDPOINTS (comma-separated), POD_NAMESPACE (metric labels).
            """,
        version: "storage-service 0.1.0")

    @Option(help: "Address to listen on.")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on (env PORT; default 9080).")
    var port: Int?

    @Option(help: "etcd client URLs, comma-separated (env ETCD_ENDPOINTS; default http://127.0.0.1:2379).")
    var etcd: String?

    @Option(help: "etcd API: v3 (JSON gateway), v2 (keys API, needs --enable-v2) or memory (no etcd).")
    var etcdApi = "v3"

    @Option(help: "Timeout of one etcd call, e.g. 2s or 500ms.")
    var etcdTimeout = "2s"

    @Option(help: "CA bundle to verify etcd's certificate.")
    var etcdCacert: String?

    @Option(help: "Client certificate for etcd (mTLS).")
    var etcdCert: String?

    @Option(help: "Client key for etcd (mTLS).")
    var etcdKey: String?

    @Option(help: "Write Istio-format access-log lines to PATH, or '-' for stdout.")
    var accessLog: String?

    @Flag(help: "Also export istio_requests_total and istio_request_duration_milliseconds.")
    var istioMetrics = false

    @Option(help: "The workload name those metrics and the access log give this service (Kubernetes: the Deployment's).")
    var workload = "storage-service"

    @Option(help: "The etcd service's name in the mesh (its destination_service in those metrics), when --etcd is the sidecar's own address; default: the URL's host.")
    var etcdService: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Close a connection with no request in progress after this long, e.g. 60s.")
    var idleTimeout = "60s"

    @Option(help: "Close a connection whose request head and body take longer than this to arrive, e.g. 10s.")
    var readTimeout = "10s"

    @Option(help: "Accept at most this many connections at once; more wait in the listen backlog.")
    var maxConnections = 1000

    func makeConfig(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfig {
        var config = ServiceConfig()
        config.host = host
        do throws(SettingError) {
            if let found = Setting.first(flag: ("--port", port.map(String.init)), variable: "PORT", in: environment) {
                config.port = try found.parsed("port", "is not a number", Int.init)
            }
        } catch {
            throw ValidationError(error.description)
        }
        guard (0...65535).contains(config.port) else { throw ValidationError("port \(config.port) is out of range") }
        if let list = Setting.first(flag: ("--etcd", etcd), variable: "ETCD_ENDPOINTS", in: environment) {
            config.etcdEndpoints = list.text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        guard let api = ServiceConfig.EtcdAPI(rawValue: etcdApi) else {
            throw ValidationError("--etcd-api must be v3, v2 or memory, not '\(etcdApi)'")
        }
        config.etcdAPI = api
        guard let timeout = DurationText.parse(etcdTimeout), timeout > .zero else {
            throw ValidationError("--etcd-timeout '\(etcdTimeout)' is not a duration such as 2s or 500ms")
        }
        config.etcdTimeout = timeout
        config.idleTimeout = try Self.positiveDuration(idleTimeout, flag: "--idle-timeout")
        config.readTimeout = try Self.positiveDuration(readTimeout, flag: "--read-timeout")
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1, not \(maxConnections)") }
        config.maxConnections = maxConnections
        config.etcdTLS = .init(caFile: etcdCacert, certFile: etcdCert, keyFile: etcdKey)
        if let accessLog { config.accessLog = accessLog == "-" ? .stdout : .file(accessLog) }
        config.istioMetrics = istioMetrics
        guard PeerIdentity.isName(workload) else {
            throw ValidationError("--workload '\(workload)' is not a Kubernetes name (lower-case letters, digits, '-' and '.')")
        }
        config.identity.workload = workload
        if let etcdService {
            guard PeerIdentity.isName(etcdService) else {
                throw ValidationError("--etcd-service '\(etcdService)' is not a host name (lower-case letters, digits, '-' and '.')")
            }
            config.identity.etcdService = etcdService
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error")
        }
        config.logLevel = level
        if let namespace = environment["POD_NAMESPACE"], !namespace.isEmpty { config.identity.namespace = namespace }
        return config
    }

    private static func positiveDuration(_ text: String, flag: String) throws -> Duration {
        guard let value = DurationText.parse(text), value > .zero else {
            throw ValidationError("\(flag) '\(text)' is not a duration such as 10s or 500ms")
        }
        return value
    }

    /// Bad usage exits 2 with one line on stderr (ArgumentParser's own default is 64 with
    /// the usage text); --help, --version and runtime errors are reported as usual.
    static func main() async {
        // Run Swift concurrency on NIO's event loops: a request then stays on one thread
        // from socket to handler to etcd call and back, instead of hopping between the
        // cooperative pool and the loops (measured in bench/service.sh).
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            let command = try parse()
            try await command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                // The message quotes what was typed: it is sanitised like every peer-supplied text.
                FileHandle.standardError.write(Data("storage-service: \(ControlBytes.sanitize(message(for: error))) (see --help)\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    func run() async throws {
        let config = try makeConfig()
        do {
            let app = try buildApplication(config)
            try await app.runService()
        } catch let error as ServiceConfigError {
            throw ValidationError(error.description)
        }
    }
}
