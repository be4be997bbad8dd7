import Foundation
import NIOCore
import NIOHTTP1

/// HTTP/1.1 rules that neither NIO's parser nor Hummingbird enforce, checked right behind
/// the parser where the request's version is still known:
/// - an HTTP/1.1 request without exactly one Host is 400 (RFC 9112 §3.2);
/// - a Transfer-Encoding whose last coding is not chunked (`xchunked`) leaves the body's
///   length unknown: 400 (RFC 9112 §6.3); a coding before chunked that this service does
///   not decode (`gzip, chunked`) is 501 (RFC 9112 §6.1);
/// - `Expect: 100-continue` gets its `100 Continue` at once (curl otherwise waits 1 s
///   before it sends the body), any other expectation 417;
/// - a request without keep-alive (HTTP/1.0 by default) has its connection closed after
///   the response;
/// - a declared body over the service's limit is 413 at once, before a byte of it is read
///   (and before a `100 Continue` would ask the client to send it);
/// - a parse error is a JSON 400, and the connection is closed after it.
/// Errors found here are answered here, as JSON like every other error of the service.
final class HTTP1RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private struct Rejection {
        var status: HTTPResponseStatus
        var message: String
    }

    /// A head passed on whose `.end` has not been read yet.
    private var readingRequest = false
    /// Requests passed on whose response has not been written in full.
    private var responsesOwed = 0
    private var closeAfterResponse = false
    /// Set once this handler answers a request itself; everything read after it is dropped.
    private var rejected = false
    /// A rejection waiting for the responses owed before it, so answers stay in order.
    private var pendingRejection: Rejection?
    private var version = HTTPVersion.http1_1
    private let maxBodyBytes: Int

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !rejected else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(var head):
            version = head.version
            if let rejection = Self.check(head, maxBodyBytes: maxBodyBytes) {
                reject(context, rejection)
                return
            }
            if let expectation = head.headers.first(name: "expect") {
                guard expectation.lowercased() == "100-continue" else {
                    let shown = String(expectation.prefix(64))
                    reject(context, Rejection(status: .expectationFailed, message: "expectation '\(shown)' is not supported"))
                    return
                }
                // Behind a pipelined request still being answered, an interim response would
                // land inside that answer; the client then sends its body after its own wait.
                if head.version.isAtLeast11, responsesOwed == 0 {
                    context.writeAndFlush(
                        wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
                }
            }
            if !head.isKeepAlive {
                closeAfterResponse = true
                // Hummingbird stops reading the connection after a request marked so.
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            readingRequest = true
            responsesOwed += 1
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            readingRequest = false
            context.triggerUserOutboundEvent(RequestFullyRead(), promise: nil)
            context.fireChannelRead(data)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        closeAfterResponse = true
        if readingRequest {
            // The route is reading this body: it answers 400 (JSONErrorMiddleware), then the
            // connection closes, since nothing after a broken body can be framed.
            readingRequest = false
            context.fireErrorCaught(error)
        } else {
            reject(context, Rejection(status: .badRequest, message: "malformed request: \(Self.describe(parseError))"))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where closeAfterResponse && head.status.code >= 200:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            responsesOwed -= 1
            if responsesOwed == 0, let rejection = pendingRejection {
                context.write(data, promise: promise)
                pendingRejection = nil
                answer(context, rejection)
            } else if responsesOwed == 0, closeAfterResponse {
                Self.flushAndClose(context, data, promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    private func reject(_ context: ChannelHandlerContext, _ rejection: Rejection) {
        rejected = true
        closeAfterResponse = true
        if responsesOwed > 0 {
            pendingRejection = rejection
        } else {
            answer(context, rejection)
        }
    }

    /// Writes the error as the service writes every error, then closes the connection.
    private func answer(_ context: ChannelHandlerContext, _ rejection: Rejection) {
        let json = (try? JSONSerialization.data(withJSONObject: ["error": rejection.message])) ?? Data("{}".utf8)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=utf-8")
        headers.add(name: "content-length", value: String(json.count))
        headers.add(name: "connection", value: "close")
        let responseVersion = version.major == 1 ? version : .http1_1
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: responseVersion, status: rejection.status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: json)))), promise: nil)
        Self.flushAndClose(context, wrapOutboundOut(.end(nil)), promise: nil)
    }

    private static func flushAndClose(_ context: ChannelHandlerContext, _ data: NIOAny, promise: EventLoopPromise<Void>?) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(data).whenComplete { result in
            promise?.completeWith(result)
            loopBound.value.close(promise: nil)
        }
    }

    private static func check(_ head: HTTPRequestHead, maxBodyBytes: Int) -> Rejection? {
        let hosts = head.headers["host"]
        if head.version.isAtLeast11, hosts.count != 1 {
            return Rejection(
                status: .badRequest,
                message: hosts.isEmpty ? "HTTP/1.1 request without a Host header" : "more than one Host header")
        }
        let codings = head.headers["transfer-encoding"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let last = codings.last, last != "chunked" {
            // The body's length cannot be known (RFC 9112 §6.3): malformed, not unsupported.
            return Rejection(status: .badRequest, message: "Transfer-Encoding '\(last)' does not end with chunked")
        }
        if let unsupported = codings.first(where: { $0 != "chunked" }) {
            return Rejection(status: .notImplemented, message: "transfer coding '\(unsupported)' is not supported")
        }
        // NIO's parser has already refused a Content-Length that is not one number.
        if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxBodyBytes {
            return Rejection(status: .payloadTooLarge, message: "request body is larger than 1.5 MiB")
        }
        return nil
    }

    /// Short reasons for the errors a client can cause.
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidChunkSize: "invalid chunk size"
        case .invalidContentLength: "invalid Content-Length"
        case .unexpectedContentLength: "Content-Length with Transfer-Encoding"
        case .invalidHeaderToken: "invalid header"
        case .headerOverflow: "headers too large"
        case .invalidMethod: "invalid method"
        case .invalidURL: "invalid URL"
        case .invalidVersion: "invalid HTTP version"
        case .invalidEOFState: "connection closed inside the request"
        case .unknown: "invalid framing or Transfer-Encoding"
        default: "\(error)"
        }
    }
}

extension HTTPVersion {
    /// HTTP/1.1 or later: Host is required and interim responses are understood.
    fileprivate var isAtLeast11: Bool { (major, minor) >= (1, 1) }
}
