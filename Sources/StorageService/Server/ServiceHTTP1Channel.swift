import Collectors
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel with its idle timeout, plus two handlers of this service:
/// a read deadline on the raw bytes and `HTTP1RequestGuard` right behind NIO's parser,
/// where the request's HTTP version is still known (HTTPTypes drops it).
struct ServiceHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    private let inner: HTTP1Channel
    private let readTimeout: TimeAmount
    var responder: Responder { inner.responder }

    init(responder: @escaping Responder, idleTimeout: Duration, readTimeout: Duration) {
        self.inner = HTTP1Channel(
            responder: responder, configuration: .init(idleTimeout: TimeAmount(idleTimeout)))
        self.readTimeout = TimeAmount(readTimeout)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let readTimeout = readTimeout
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTP1RequestGuard(maxBodyBytes: StorageKey.maxRequestBytes), position: .after(decoder))
            try pipeline.addHandler(RequestReadDeadline(timeout: readTimeout), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    static func service(idleTimeout: Duration, readTimeout: Duration) -> HTTPServerBuilder {
        .init { responder in
            ServiceHTTP1Channel(responder: responder, idleTimeout: idleTimeout, readTimeout: readTimeout)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(Int64(duration.inSeconds * 1e9))
    }
}
