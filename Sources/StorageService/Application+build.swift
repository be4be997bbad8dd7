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
            availableConnectionsDelegate: MaximumAvailableConnections(config.maxConnections, logger: logger)),
        services: services,
        logger: logger)
}

/// Closes the etcd connection pool after the server has drained on shutdown.
private struct EtcdClientService: Service {
    let http: EtcdHTTP

    func run() async throws {
        try? await gracefulShutdown()
        try await http.shutdown()
    }
}
