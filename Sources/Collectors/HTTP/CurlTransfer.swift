import CCurl

/// One reusable request for `CurlMulti`: the URL, method, body and headers are set once;
/// each run may add headers of its own (a fresh x-request-id). Owns its easy handle and
/// every C object the handle borrows.
public final class CurlTransfer {
    static let globalInit: CURLcode = mt_curl_global_init_all()

    let easy: UnsafeMutableRawPointer
    private var fixedHeaders: [String]
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let counter = ByteCounter()
    /// Whether a body goes out: only then is "Expect:" needed to turn 100-continue off.
    private let sendsBody: Bool
    /// Whether the header list holds a run's own headers, which the next run must drop.
    private var hasExtra = false

    /// Response bytes of the last run (headers not counted).
    public var bytesReceived: Int { counter.bytes }

    public init(
        url: String, method: String, headers: [(name: String, value: String)], body: [UInt8]?, timeoutMilliseconds: Int
    ) throws(CurlError) {
        guard Self.globalInit == CURLE_OK, let easy = curl_easy_init() else {
            throw CurlError(kind: .other, code: -1, message: "libcurl could not be initialised")
        }
        self.easy = easy
        sendsBody = body != nil
        fixedHeaders = headers.map { "\($0.name): \($0.value)" }
        if body != nil, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            fixedHeaders.append("Content-Type: application/json")
        }
        _ = mt_curl_easy_setopt_string(easy, CURLOPT_URL, url)
        CurlEasy.allowOnlyHTTP(easy)
        _ = mt_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = mt_curl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        _ = mt_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        _ = mt_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeoutMilliseconds)
        _ = mt_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        // An empty proxy stops curl reading the *_proxy variables on every request; a load
        // generator talks to its target directly.
        _ = mt_curl_easy_setopt_string(easy, CURLOPT_PROXY, "")
        _ = mt_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, countingCallback)
        _ = mt_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(counter).toOpaque())
        switch method {
        case "GET": _ = mt_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = mt_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default: _ = mt_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)
        }
        if let body {
            _ = mt_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            if body.isEmpty {
                _ = mt_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                body.withUnsafeBytes { bytes in
                    _ = mt_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress!))
                }
            }
        }
        setHeaders([])
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
    }

    /// Readies the next run, with `extra` headers on top of the fixed ones.
    public func prepare(extra: [String] = []) {
        counter.bytes = 0
        if !extra.isEmpty || hasExtra { setHeaders(extra) }
        hasExtra = !extra.isEmpty
    }

    private func setHeaders(_ extra: [String]) {
        let old = headerList
        headerList = nil
        for line in fixedHeaders + extra { headerList = curl_slist_append(headerList, line) }
        // curl sends "Expect: 100-continue" for larger bodies and waits for it; a load
        // generator wants the request to go out at once.
        if sendsBody { headerList = curl_slist_append(headerList, "Expect:") }
        _ = mt_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        curl_slist_free_all(old)
    }

    /// The status of the last run (0 when no answer came).
    public var status: Int {
        var code = 0
        _ = mt_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// What went wrong, in the load report's words: connect, timeout, reset or other.
    public static func failure(_ result: CURLcode) -> String? {
        switch result {
        case CURLE_OK: nil
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: "connect"
        case CURLE_OPERATION_TIMEDOUT: "timeout"
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING: "reset"
        default: "other"
        }
    }
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
