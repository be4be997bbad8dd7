import CCurl
import Foundation

/// The single owner of one libcurl easy handle (and of every C object the handle borrows).
///
/// Not thread-safe by design: one handle belongs to one thread at a time, and reusing it
/// keeps the connection to the same host alive between calls.
public final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?

    private static let globalInit: CURLcode = mt_curl_global_init_all()

    /// libcurl's own version string, e.g. "7.88.1".
    public static var libraryVersion: String { String(cString: mt_curl_version_string()) }

    public init() throws(CurlError) {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw CurlError(kind: .other, code: -1, message: "libcurl could not be initialised")
        }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(requestHeaders)
    }

    public func perform(_ request: CurlRequest) throws(CurlError) -> CurlResponse {
        curl_easy_reset(handle)
        curl_slist_free_all(requestHeaders)
        requestHeaders = nil

        let sink = ResponseSink(limit: request.maxResponseBytes)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }

        _ = mt_curl_easy_setopt_string(handle, CURLOPT_URL, request.url)
        Self.allowOnlyHTTP(handle)
        // A Content-Length over the cap fails before the body comes; without one, the body
        // callback stops at the cap.
        _ = mt_curl_easy_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes))
        // Timeouts via signals are unsafe in a multi-threaded process.
        _ = mt_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = mt_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds)
        _ = mt_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.totalTimeoutMilliseconds)
        _ = mt_curl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlBodyCallback)
        _ = mt_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque())
        _ = mt_curl_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = mt_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer.toOpaque())

        if let tls = request.tls {
            if let caFile = tls.caFile { _ = mt_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caFile) }
            if let certFile = tls.certFile { _ = mt_curl_easy_setopt_string(handle, CURLOPT_SSLCERT, certFile) }
            if let keyFile = tls.keyFile { _ = mt_curl_easy_setopt_string(handle, CURLOPT_SSLKEY, keyFile) }
            if tls.insecure {
                _ = mt_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
                _ = mt_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
            }
        }
        switch request.auth {
        case .bearer(let token):
            requestHeaders = curl_slist_append(requestHeaders, "Authorization: Bearer \(token)")
        case .basic(let user, let password):
            // Basic is what curl sends by default once a user name is set.
            _ = mt_curl_easy_setopt_string(handle, CURLOPT_USERNAME, user)
            _ = mt_curl_easy_setopt_string(handle, CURLOPT_PASSWORD, password)
        case nil:
            break
        }
        switch request.method {
        case "GET": _ = mt_curl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = mt_curl_easy_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: _ = mt_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            _ = mt_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            // COPYPOSTFIELDS copies, so the Swift array need not outlive this call.
            if body.isEmpty {
                _ = mt_curl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                body.withUnsafeBytes { bytes in
                    _ = mt_curl_easy_setopt_pointer(
                        handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress!))
                }
            }
        }
        for header in request.headers {
            requestHeaders = curl_slist_append(requestHeaders, "\(header.name): \(header.value)")
        }
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            // curl would otherwise announce a form body.
            requestHeaders = curl_slist_append(requestHeaders, "Content-Type: application/json")
        }
        if requestHeaders != nil {
            _ = mt_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, requestHeaders)
        }

        let code = curl_easy_perform(handle)
        if sink.overflowed || code == CURLE_FILESIZE_EXCEEDED {
            throw CurlError(
                kind: .tooLarge, code: Int(code.rawValue),
                message: "answer larger than \(Self.size(request.maxResponseBytes)) (the limit is --max-answer-size)")
        }
        guard code == CURLE_OK else {
            throw CurlError(kind: Self.kind(of: code), code: Int(code.rawValue), message: Self.message(for: code))
        }
        var status = 0
        _ = mt_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return CurlResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// Every transfer speaks http or https only, redirects included: a URL from a peer (an
    /// etcd member's client URL) must not make meshtop send gopher, dict or read file://.
    static func allowOnlyHTTP(_ handle: UnsafeMutableRawPointer) {
        _ = mt_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = mt_curl_easy_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : bytes % 1024 == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }

    private static func message(for code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code)).lowercased()
    }

    private static func kind(of code: CURLcode) -> CurlError.Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .connect
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM: .tls
        case CURLE_UNSUPPORTED_PROTOCOL: .protocol
        default: .other
        }
    }
}

/// Collects what curl's callbacks deliver; reached from C through `Unmanaged`.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    /// Bytes of body, and of headers, past which the transfer is stopped.
    let limit: Int
    var headerBytes = 0
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    /// Headers get a bound of their own: a peer can send endless header lines too.
    static let headerLimit = 256 << 10
}

private let curlBodyCallback: mt_curl_data_callback = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    guard sink.body.count + length <= sink.limit else {
        sink.overflowed = true
        return 0  // curl stops the transfer with a write error
    }
    pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        sink.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }
    return length
}

private let curlHeaderCallback: mt_curl_data_callback = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    sink.headerBytes += length
    guard sink.headerBytes <= ResponseSink.headerLimit else {
        sink.overflowed = true
        return 0
    }
    // Split on bytes: Foundation's trimming was most of a poll's header cost.
    pointer.withMemoryRebound(to: UInt8.self, capacity: length) { start in
        let line = UnsafeBufferPointer(start: start, count: length)
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (after 100-continue or a redirect) starts a new header block.
            sink.headers.removeAll()
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            sink.headers.append((name: trimmedText(line[..<colon]), value: trimmedText(line[(colon + 1)...])))
        }
    }
    return length
}

/// The bytes as text without the spaces, tabs, CR and LF around them.
private func trimmedText(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    var lower = bytes.startIndex
    var upper = bytes.endIndex
    while lower < upper, isSpace(bytes[lower]) { lower += 1 }
    while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
    return String(decoding: bytes.base[lower..<upper], as: UTF8.self)
}

