import AsyncHTTPClient
import Collectors
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The HTTP leg to etcd shared by the v3 and v2 stores: one pooled keep-alive client,
/// several endpoints with fail-over on connection errors, a per-call timeout, the mesh
/// headers forwarded, and every call reported to the observer.
final class EtcdHTTP: Sendable {
    struct Reply: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    let endpoints: [EtcdEndpoint]
    private let client: HTTPClient
    private let timeout: Duration
    private let observer: (any EtcdCallObserver)?
    /// The endpoint that answered last; calls start there so a dead member costs one failed connect.
    private let preferred = Mutex(0)
    /// The largest etcd answer read by default: a 1 MiB value in base64 with room to spare.
    static let maxAnswerBytes = 8 << 20

    init(endpoints: [EtcdEndpoint], timeout: Duration, tls: TLSConfiguration?, observer: (any EtcdCallObserver)?) {
        precondition(!endpoints.isEmpty, "at least one etcd endpoint")
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.timeout.connect = .milliseconds(min(1_000, Int64(timeout.inMilliseconds)))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        // Fail over to the next endpoint at once instead of retrying a dead one until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.endpoints = endpoints
        self.timeout = timeout
        self.observer = observer
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    /// Sends the call to the preferred endpoint, then to each other one while connections fail.
    func send(
        operation: String, method: HTTPMethod, path: String, body: [UInt8]?, contentType: String,
        headers: MeshHeaders, timeout: Duration? = nil, maxAnswerBytes: Int = EtcdHTTP.maxAnswerBytes
    ) async throws(StoreError) -> Reply {
        let first = preferred.withLock { $0 }
        var lastConnectError = "no endpoint"
        for attempt in 0..<endpoints.count {
            let index = (first + attempt) % endpoints.count
            let endpoint = endpoints[index]
            switch await sendOnce(
                operation, method, path, body, contentType, headers, endpoint, timeout ?? self.timeout, maxAnswerBytes)
            {
            case .success(let reply):
                if index != first { preferred.withLock { $0 = index } }
                return reply
            case .failure(.unavailable(let message)):
                lastConnectError = message
                continue
            case .failure(let error):
                throw error
            }
        }
        throw .unavailable(lastConnectError)
    }

    private func sendOnce(
        _ operation: String, _ method: HTTPMethod, _ path: String, _ body: [UInt8]?, _ contentType: String,
        _ headers: MeshHeaders, _ endpoint: EtcdEndpoint, _ timeout: Duration, _ maxAnswerBytes: Int
    ) async -> Result<Reply, StoreError> {
        var request = HTTPClientRequest(url: endpoint.baseURL + path)
        request.method = method
        for header in headers.outbound { request.headers.add(name: header.name, value: header.value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let startTime = EnvoyTimestamp.now()
        let started = ContinuousClock.now
        var call = EtcdCall(
            operation: operation, method: method.rawValue, path: path, endpoint: endpoint, requestID: headers.requestID,
            startTime: startTime, durationSeconds: 0, bytesSent: body?.count ?? 0, bytesReceived: 0, outcome: .failed(.other))
        defer {
            call.durationSeconds = (ContinuousClock.now - started).inSeconds
            observer?.etcdCallFinished(call)
        }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.inSeconds * 1e9)))
            let bytes = try await response.body.collect(upTo: maxAnswerBytes)
            call.bytesReceived = bytes.readableBytes
            call.outcome = .answered(status: Int(response.status.code))
            return .success(Reply(status: Int(response.status.code), body: bytes))
        } catch {
            let (failure, storeError) = Self.classify(error, maxAnswerBytes: maxAnswerBytes)
            call.outcome = .failed(failure)
            return .failure(storeError)
        }
    }

    /// Short, stable reasons: they reach HTTP clients, so they name no internal address
    /// and carry no library error dump (the access log has the endpoint and the flags).
    /// The project's failure kind (for the access log and metrics) and what the HTTP
    /// client hears; `unavailable` is what makes the call try the next endpoint.
    private static func classify(_ error: any Error, maxAnswerBytes: Int) -> (TransferFailure, StoreError) {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return (.timeout, .timeout("no answer within the call timeout"))
            case .connectTimeout:
                return (.connectTimeout, .unavailable("connect timed out"))
            case .remoteConnectionClosed:
                return (.reset, .unavailable("connection closed by etcd"))
            default:
                return (.other, .unavailable("request failed"))
            }
        }
        if let error = error as? NIOConnectionError {
            let errnos = error.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            if errnos.contains(ECONNREFUSED) { return (.connectRefused, .unavailable("connection refused")) }
            if errnos.contains(ETIMEDOUT) { return (.connectTimeout, .unavailable("connect timed out")) }
            if error.dnsAAAAError != nil || error.dnsAError != nil { return (.dns, .unavailable("name not resolved")) }
            return (.connectRefused, .unavailable("connect failed"))
        }
        if let error = error as? IOError {
            return error.errnoCode == ECONNREFUSED
                ? (.connectRefused, .unavailable("connection refused")) : (.reset, .unavailable("connection failed"))
        }
        if error is NIOSSLError { return (.tls, .unavailable("TLS handshake failed")) }
        if error is NIOTooManyBytesError { return (.tooLarge, .answerTooLarge(limit: maxAnswerBytes)) }
        return (.other, .unavailable("connection failed"))
    }
}
