#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// The one place the service is assembled; `main` and the tests both call it.
func buildApplication(_ config: ServiceConfig) throws -> some ApplicationProtocol {
    var logger = Logger(label: "storage-service")
    logger.logLevel = config.logLevel

    let accessLog: AccessLogSink? =
        switch config.accessLog {
        case .none: nil
        case .stdout: .stdout
        case .file(let path): try AccessLogSink(path: path)
        }
    let telemetry = Telemetry(
        accessLog: accessLog, istioMetrics: config.istioMetrics, identity: config.identity)

    var services: [any Service] = []
    let store: any EtcdStore
    if config.etcdAPI == .memory {
        store = MemoryStore()
    } else {
        let endpoints = try config.etcdEndpoints.map { url in
            guard let endpoint = EtcdEndpoint(url) else {
                throw ServiceConfigError("etcd endpoint '\(url)' is not an http:// or https:// URL")
            }
            return endpoint
        }
        guard !endpoints.isEmpty else { throw ServiceConfigError("no etcd endpoint given") }
        let http = EtcdHTTP(
            endpoints: endpoints, timeout: config.etcdTimeout, tls: try config.etcdTLS.configuration(),
            observer: telemetry)
        services.append(EtcdClientService(http: http))
        store = config.etcdAPI == .v2 ? EtcdV2Store(http: http) : EtcdV3Store(http: http)
    }

    // HEAD on every GET route: the same status and headers, no body.
    let router = Router(context: ServiceRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.middlewares.add(TelemetryMiddleware(telemetry: telemetry))
    router.middlewares.add(JSONErrorMiddleware())
    StorageRoutes(store: store, telemetry: telemetry).register(on: router)

    return Application(
        router: router,
        server: .service(idleTimeout: config.idleTimeout, readTimeout: config.readTimeout),
        configuration: .init(
            address: .hostname(config.host, port: config.port), serverName: "storage-service",
            // Beyond the cap, connections wait in the listen backlog (not accepted, so they
            // hold no descriptor of ours) until one closes; a full backlog refuses them.
            availableConnectionsDelegate: MaximumAvailableConnections(
                connectionCap(config.maxConnections, logger: logger), logger: logger)),
        services: services,
        logger: logger)
}

/// The cap, lowered to what the descriptor limit leaves: a cap above it would let idle
/// connections take every descriptor, and accept(2) would then fail for everyone.
private func connectionCap(_ wanted: Int, logger: Logger) -> Int {
    var limit = rlimit()
    let descriptors = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? UInt64(limit.rlim_cur) : nil
    let cap = connectionCap(wanted, descriptorLimit: descriptors)
    if cap < wanted {
        logger.notice(
            "--max-connections lowered to what the descriptor limit allows",
            metadata: ["wanted": "\(wanted)", "used": "\(cap)", "nofile": "\(limit.rlim_cur)"])
    }
    return cap
}

/// Room is left for the listener, the access log, etcd's pool (32 per endpoint) and stdio.
func connectionCap(_ wanted: Int, descriptorLimit: UInt64?) -> Int {
    guard let descriptorLimit, descriptorLimit < UInt64(Int32.max) else { return wanted }
    return min(wanted, max(1, Int(descriptorLimit) - 64))
}

/// Closes the etcd connection pool after the server has drained on shutdown.
private struct EtcdClientService: Service {
    let http: EtcdHTTP

    func run() async throws {
        try? await gracefulShutdown()
        try await http.shutdown()
    }
}
