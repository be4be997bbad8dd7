import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A stand-in for the PromQL backends that cannot run here (Mimir, Thanos): their answers
/// are written from their documentation (Mimir's HTTP API reference, Thanos's query API and
/// partial-response docs), not recorded from a running one. It serves the Prometheus API
/// under `prefix`, the backend's own readiness at the root, and counts what it was asked
/// and with which tenant.
final class RecordedBackend: @unchecked Sendable {
    enum Flavour { case mimir, thanos }

    let flavour: Flavour
    /// Mimir's API is under `/prometheus`; Thanos Query serves it at the root.
    var prefix: String { flavour == .mimir ? "/prometheus" : "" }
    /// Mimir refuses a request without its tenant header (multi-tenant mode).
    let tenant = "tenant-a"
    /// What Thanos says when a store did not answer (`partial_response` on).
    var warnings: [String] = []

    /// Guards `asked`: requests come on the server's event loops.
    private let lock = NSLock()
    private var asked: [(path: String, tenant: String?)] = []

    init(_ flavour: Flavour) { self.flavour = flavour }

    var requests: [(path: String, tenant: String?)] { lock.withLock { asked } }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.middlewares.add(Recorder(backend: self))
        switch flavour {
        case .mimir:
            router.get("/ready") { _, _ in "ready" }
            // From Mimir's docs: buildinfo names the application and its features.
            router.get("/prometheus/api/v1/status/buildinfo") { _, _ in
                json(#"{"status":"success","data":{"application":"Grafana Mimir","version":"2.10.0","revision":"c3ac2e2","branch":"HEAD","goVersion":"go1.21.1","features":{"ruler_config_api":"true","alertmanager_config_api":"true","query_sharding":"false","federated_rules":"false"}}}"#)
            }
        case .thanos:
            router.get("/-/ready") { _, _ in "Thanos Querier is ready.\n" }
            router.get("/api/v1/status/buildinfo") { _, _ in
                json(#"{"status":"success","data":{"version":"0.32.5","revision":"750e8a94eed5226cd4562117295d540a968c163c","branch":"HEAD","buildUser":"root@5f5e6ff71b8e","buildDate":"20231020-12:11:42","goVersion":"go1.21.3"}}"#)
            }
            router.get("/api/v1/targets") { _, _ in json(#"{"status":"success","data":{"activeTargets":[{"health":"up"}],"droppedTargets":[]}}"#) }
        }
        router.post("\(prefix)/api/v1/query") { request, _ in
            var request = request
            let form = String(buffer: try await request.collectBody(upTo: 1 << 20))
            guard self.admitted(request) else { return Self.noOrgID() }
            return self.vector(buckets: form.contains("bucket"))
        }
        router.post("\(prefix)/api/v1/query_range") { request, _ in
            guard self.admitted(request) else { return Self.noOrgID() }
            return json(#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func admitted(_ request: Request) -> Bool {
        flavour != .mimir || request.headers[HTTPField.Name("X-Scope-OrgID")!] == tenant
    }

    /// Mimir's answer without a tenant: 401 and a plain-text reason.
    private static func noOrgID() -> Response {
        Response(status: .unauthorized, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "no org id\n")))
    }

    /// One edge, istio-ingressgateway → storage, at 5 requests a second.
    private func vector(buckets: Bool) -> Response {
        let labels: [String: String] = [
            "source_workload": "istio-ingressgateway", "source_workload_namespace": "istio-system", "destination_workload": "storage",
            "destination_workload_namespace": "default", "destination_service": "storage.default.svc.cluster.local",
            "response_code": "200",
        ]
        let series: [[String: Any]] =
            buckets
            ? [("10", "4"), ("+Inf", "5")].map { le, value in ["metric": labels.merging(["le": le]) { $1 }, "value": [1_700_000_000.0, value]] }
            : [["metric": labels, "value": [1_700_000_000.0, "5"]]]
        var object: [String: Any] = ["status": "success", "data": ["resultType": "vector", "result": series]]
        if !warnings.isEmpty { object["warnings"] = warnings }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))))
    }

    fileprivate func record(_ path: String, tenant: String?) { lock.withLock { asked.append((path, tenant)) } }

    private struct Recorder: RouterMiddleware {
        let backend: RecordedBackend
        func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response)
            async throws -> Response
        {
            backend.record(request.uri.path, tenant: request.headers[HTTPField.Name("X-Scope-OrgID")!])
            return try await next(request, context)
        }
    }
}

private func json(_ text: String) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}
