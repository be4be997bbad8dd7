import Foundation

/// The libcurl HTTP client of one peer (a Prometheus, an etcd member, the service): a few curl
/// handles kept between polls; concurrent transfers each take a handle of their own, and
/// all of them run on the process's one `CurlLoop`, whose connection cache keeps the
/// connections to that host open, so a slow answer blocks nobody.
public final class CurlHTTPClient: @unchecked Sendable {
    public let baseURL: String
    /// scheme://host[:port] of the base URL. A backend whose API sits under a path prefix
    /// (Mimir's `/prometheus`, vmselect's `/select/0/prometheus`) keeps its own endpoints,
    /// such as `/ready` and `/health`, at the root.
    public let origin: String
    public let tls: CurlTLS?
    public let auth: CurlAuth?
    public let connectTimeoutMilliseconds: Int
    public let totalTimeoutMilliseconds: Int
    public let maxResponseBytes: Int
    /// Hears every exchange (a recording's way in: `meshtop --record`).
    public let tap: ExchangeTap?
    /// Answers every request from a recording instead of the network (`snapshot --from`).
    public let replay: ExchangeReplay?
    /// Guards `idle`. A handle is not thread-safe: a transfer takes one out and puts it back.
    private let lock = NSLock()
    private var idle: [CurlEasy] = []
    /// More idle handles than this are closed: enough for a poll's concurrent queries.
    static let keptHandles = 16

    public init(
        baseURL: String, tls: CurlTLS? = nil, auth: CurlAuth? = nil, connectTimeoutMilliseconds: Int = 1_000,
        totalTimeoutMilliseconds: Int = 2_000, maxResponseBytes: Int = CurlRequest.defaultMaxResponseBytes,
        tap: ExchangeTap? = nil, replay: ExchangeReplay? = nil
    ) {
        self.maxResponseBytes = maxResponseBytes
        self.tap = tap
        self.replay = replay
        // Every path is appended to the base: `…/prometheus/` and `…/prometheus` are one prefix.
        var base = Substring(baseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        self.baseURL = String(base)
        origin = Self.origin(of: self.baseURL)
        self.tls = tls
        self.auth = auth
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
    }

    /// `path` is appended to the base URL, or with `onOrigin` to its origin; the latency is
    /// the whole transfer's. `totalTimeoutMilliseconds` replaces the client's for this request.
    public func send(
        _ method: String = "GET", _ path: String, body: [UInt8]? = nil, headers: [(name: String, value: String)] = [],
        onOrigin: Bool = false, totalTimeoutMilliseconds total: Int? = nil
    ) async throws(CurlError) -> (response: CurlResponse, latency: Duration) {
        let request = CurlRequest(
            url: (onOrigin ? origin : baseURL) + path, method: method, headers: headers, body: body,
            connectTimeoutMilliseconds: connectTimeoutMilliseconds, totalTimeoutMilliseconds: total ?? totalTimeoutMilliseconds,
            tls: tls, auth: auth, maxResponseBytes: maxResponseBytes)
        if let replay {
            switch replay.answer(request) {
            case .success(let response): return (response, .zero)
            case .failure(let error): throw error
            }
        }
        let loop: CurlLoop
        switch CurlLoop.shared {
        case .success(let shared): loop = shared
        case .failure(let error): throw error
        }
        let easy = try takeHandle()
        defer { putBack(easy) }
        let clock = ContinuousClock()
        let start = clock.now
        let answer: Result<CurlResponse, CurlError>
        do throws(CurlError) {
            try easy.prepare(request)
            answer = .success(try easy.finish(await loop.perform(easy)))
        } catch {
            answer = .failure(error)
        }
        let latency = clock.now - start
        tap?(request, answer, latency)
        return (try answer.get(), latency)
    }

    /// The URL up to its path (user info kept); the URL itself when it does not parse (curl
    /// then says why).
    static func origin(of url: String) -> String {
        guard var components = URLComponents(string: url), components.host != nil else { return url }
        components.percentEncodedPath = ""
        components.percentEncodedQuery = nil
        components.percentEncodedFragment = nil
        return components.string ?? url
    }

    private func takeHandle() throws(CurlError) -> CurlEasy {
        if let easy = lock.withLock({ idle.popLast() }) { return easy }
        return try CurlEasy()
    }

    private func putBack(_ easy: CurlEasy) {
        lock.withLock {
            if idle.count < Self.keptHandles { idle.append(easy) }
        }
    }
}

extension CurlResponse {
    public var text: String { String(decoding: body, as: UTF8.self) }
}
