import CCurl

/// One reusable request for `CurlMulti`: set up once (`CurlHandle.configure`, as a one-shot
/// exchange is); each run may add headers of its own (a fresh x-request-id). The answer is
/// counted and dropped: a load generator measures, it does not keep bodies.
public final class CurlTransfer: CurlMultiTransfer {
    let handle: CurlHandle
    public var easy: UnsafeMutableRawPointer { handle.raw }
    private let fixedHeaders: [String]
    private let counter = ByteCounter()
    /// Whether the header list holds a run's own headers, which the next run must drop.
    private var hasExtra = false

    /// Response bytes of the last run (headers not counted).
    public var bytesReceived: Int { counter.bytes }

    public init(_ request: CurlRequest) throws(CurlError) {
        handle = try CurlHandle()
        fixedHeaders = request.headerLines
        try handle.configure(request)
        try handle.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        try handle.set(CURLOPT_TCP_NODELAY, 1)
        // An empty proxy stops curl reading the *_proxy variables on every request; a load
        // generator talks to its target directly.
        try handle.set(CURLOPT_PROXY, "")
        try handle.set(CURLOPT_WRITEFUNCTION, callback: countingCallback)
        try handle.set(CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(counter).toOpaque())
    }

    /// Readies the next run, with `extra` header lines on top of the request's own.
    public func prepare(extra: [String] = []) throws(CurlError) {
        counter.bytes = 0
        if !extra.isEmpty || hasExtra { try handle.setHeaders(fixedHeaders + extra) }
        hasExtra = !extra.isEmpty
    }

    /// The status of the last run (0 when no answer came).
    public var status: Int { handle.status }
}

/// Counts response bytes and drops them; reached from C through `Unmanaged`.
private final class ByteCounter {
    var bytes = 0
}

private let countingCallback: mt_curl_data_callback = { _, size, count, userdata in
    guard let userdata else { return 0 }
    Unmanaged<ByteCounter>.fromOpaque(userdata).takeUnretainedValue().bytes += size * count
    return size * count
}
