/// TLS material for one request: etcd in production wants mutual TLS.
public struct CurlTLS: Sendable, Equatable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Skip verification of the server's certificate; only when the user asks for it.
    public var insecure: Bool

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.insecure = insecure
    }
}

/// Credentials for a source behind a proxy (Prometheus behind an auth gateway).
public enum CurlAuth: Sendable, Equatable {
    case bearer(String)
    case basic(user: String, password: String)
}

/// A request for the libcurl client.
public struct CurlRequest: Sendable {
    public var url: String
    public var method: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var connectTimeoutMilliseconds: Int
    public var totalTimeoutMilliseconds: Int
    public var tls: CurlTLS?
    public var auth: CurlAuth?
    /// The largest body accepted; a larger answer is an error, never buffered whole.
    public var maxResponseBytes: Int

    /// 16 MiB: a Prometheus answer for a thousand edges is a few MiB.
    public static let defaultMaxResponseBytes = 16 << 20

    public init(
        url: String, method: String = "GET", headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        connectTimeoutMilliseconds: Int = 1_000, totalTimeoutMilliseconds: Int = 2_000, tls: CurlTLS? = nil,
        auth: CurlAuth? = nil, maxResponseBytes: Int = CurlRequest.defaultMaxResponseBytes
    ) {
        self.maxResponseBytes = maxResponseBytes
        self.auth = auth
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.tls = tls
    }
}

/// A response: status, headers as received, and the body bytes.
public struct CurlResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively (HTTP/1.1 servers
    /// such as etcd's gateway send `X-Etcd-Index`, HTTP/2 sends lower case).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

public struct CurlError: Error, CustomStringConvertible, Sendable {
    public let failure: TransferFailure
    /// libcurl's result code, or -1 where libcurl gave none.
    public let code: Int
    public let message: String
    public var description: String { message }
}
