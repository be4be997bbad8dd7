import Foundation
import Hummingbird
import NIOHTTP1

/// Every error this service returns: a status and `{"error": "…"}`.
struct APIError: Error, Equatable {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    init(_ error: StoreError) {
        switch error {
        case .unavailable: self.init(.serviceUnavailable, error.description)
        case .timeout: self.init(.gatewayTimeout, error.description)
        case .rejected(let status, _): self.init(HTTPResponse.Status(code: status), error.description)
        case .answerTooLarge: self.init(.badGateway, error.description)
        }
    }

    var response: Response {
        JSONBody.response(status, ["error": message])
    }
}

/// JSON bodies as the original app wrote them: no escaped slashes, keys sorted so output is stable.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"response could not be encoded"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error thrown below it into a JSON error response, so clients never see
/// Hummingbird's default error shape and the telemetry above sees the final status.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as HTTPParserError {
            // A body that breaks HTTP framing (a bad chunk size) is the client's mistake.
            return APIError(.badRequest, "malformed request body: \(HTTP1RequestGuard.describe(error))").response
        } catch let error as any HTTPResponseError {
            // Hummingbird's own errors (HTTPError, the body-size limit) carry no useful text.
            return APIError(error.status, Self.message(for: error)).response
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "internal error").response
        }
    }

    private static func message(for error: any HTTPResponseError) -> String {
        switch error.status {
        case .contentTooLarge: "request body is larger than 1.5 MiB"
        case .notFound: "no such route"
        default: (error as? HTTPError)?.body ?? error.status.reasonPhrase.lowercased()
        }
    }
}
