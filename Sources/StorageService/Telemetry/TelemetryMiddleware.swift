import Collectors
import HTTPTypes
import Hummingbird

/// Outermost middleware: reads or creates the request id, hands the mesh headers to the
/// handlers, echoes `x-request-id`, and reports the finished request to telemetry.
struct TelemetryMiddleware: RouterMiddleware {
    let telemetry: Telemetry

    func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        let startTime = EnvoyTimestamp.now()
        let started = ContinuousClock.now
        var context = context
        context.mesh = MeshHeaders(from: request.headers)
        // JSONErrorMiddleware, inside this one, has already turned every error into a response.
        var response = try await next(request, context)
        response.headers[MeshHeaders.requestIDName] = context.mesh.requestID
        let received = request.headers[.contentLength].flatMap { Int($0) } ?? 0
        telemetry.inboundFinished(
            .init(
                startTime: startTime, durationSeconds: (ContinuousClock.now - started).inSeconds,
                method: request.method.rawValue, path: request.uri.description,
                route: context.endpointPath ?? "unmatched", status: Int(response.status.code), bytesReceived: received,
                bytesSent: response.body.contentLength ?? 0, requestID: context.mesh.requestID,
                userAgent: request.headers[.userAgent], forwardedFor: request.headers[HTTPField.Name("x-forwarded-for")!],
                authority: request.head.authority, localAddress: context.localAddress, localPort: context.localPort,
                remoteAddress: context.remoteAddress, peer: PeerIdentity(from: request.headers)))
        return response
    }
}
