import Foundation

/// The HTTP client of one source (a Prometheus, an etcd member, the service): one curl
/// handle, so the connection to that host is reused between polls, used by one transfer
/// at a time, each on a thread of its own (`OffPool`), so a slow source blocks nobody.
public final class HTTPSource: @unchecked Sendable {
    public let baseURL: String
    public let tls: CurlTLS?
    public let auth: CurlAuth?
    public let connectTimeoutMilliseconds: Int
    public let totalTimeoutMilliseconds: Int
    /// Guards `easy`: the handle is not thread-safe, and transfers of one source queue here.
    private let lock = NSLock()
    private var easy: CurlEasy?

    public init(
        baseURL: String, tls: CurlTLS? = nil, auth: CurlAuth? = nil, connectTimeoutMilliseconds: Int = 1_000,
        totalTimeoutMilliseconds: Int = 2_000
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.tls = tls
        self.auth = auth
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
    }

    /// `path` is appended to the base URL; the latency is the whole transfer's.
    public func send(
        _ method: String = "GET", _ path: String, body: [UInt8]? = nil, headers: [(name: String, value: String)] = []
    ) async throws(CurlError) -> (response: CurlResponse, latency: Duration) {
        let request = CurlRequest(
            url: baseURL + path, method: method, headers: headers, body: body,
            connectTimeoutMilliseconds: connectTimeoutMilliseconds, totalTimeoutMilliseconds: totalTimeoutMilliseconds,
            tls: tls, auth: auth)
        return try await OffPool.run { () throws(CurlError) in
            self.lock.lock()
            defer { self.lock.unlock() }
            let easy: CurlEasy
            if let existing = self.easy { easy = existing } else { easy = try CurlEasy() }
            self.easy = easy
            let clock = ContinuousClock()
            let start = clock.now
            let response = try easy.perform(request)
            return (response, clock.now - start)
        }
    }
}

extension CurlResponse {
    public var text: String { String(decoding: body, as: UTF8.self) }
}
