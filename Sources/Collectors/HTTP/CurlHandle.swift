import CCurl

/// The single owner of one libcurl easy handle and of the header list it borrows, and the
/// one place a request is set up on a handle: the one-shot `CurlEasy` and the load
/// generator's `CurlTransfer` both call `configure`, so method, URL, headers, body,
/// timeouts, the size bound and the http/https restriction mean the same in both.
///
/// Every option's result is checked and a refused option throws, naming it: options fail
/// for reasons outside this code too (a libcurl before 7.85 has no CURLOPT_PROTOCOLS_STR, one
/// without TLS refuses the certificate options), and a request that cannot be held to
/// http/https or cannot carry its client certificate must not go out half set up.
final class CurlHandle {
    let raw: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() throws(CurlError) {
        try CurlGlobal.initialise()
        guard let raw = curl_easy_init() else {
            throw CurlError(failure: .other, code: -1, message: "libcurl could not make a handle")
        }
        self.raw = raw
    }

    deinit {
        curl_easy_cleanup(raw)
        curl_slist_free_all(headerList)
    }

    /// Back to libcurl's defaults; the handle's open connections and DNS cache stay.
    func reset() {
        curl_easy_reset(raw)
        curl_slist_free_all(headerList)
        headerList = nil
    }

    /// Sets up `request`: afterwards only the body and header callbacks are left to set.
    func configure(_ request: CurlRequest) throws(CurlError) {
        try set(CURLOPT_URL, request.url)
        // A URL from a peer (an etcd member's client URL) or a redirect must not make
        // meshtop send gopher or dict, or read file://.
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        // Timeouts via signals are unsafe in a multi-threaded process.
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, request.totalTimeoutMilliseconds)
        // A Content-Length over the cap fails before the body comes; without one, the
        // owner's body callback stops at the cap.
        try set(CURLOPT_MAXFILESIZE_LARGE, offset: request.maxResponseBytes)
        if let tls = request.tls {
            if let caFile = tls.caFile { try set(CURLOPT_CAINFO, caFile) }
            if let certFile = tls.certFile { try set(CURLOPT_SSLCERT, certFile) }
            if let keyFile = tls.keyFile { try set(CURLOPT_SSLKEY, keyFile) }
            if tls.insecure {
                try set(CURLOPT_SSL_VERIFYPEER, 0)
                try set(CURLOPT_SSL_VERIFYHOST, 0)
            }
        }
        if case .basic(let user, let password) = request.auth {
            // Basic is what curl sends once a user name is set.
            try set(CURLOPT_USERNAME, user)
            try set(CURLOPT_PASSWORD, password)
        }
        switch request.method {
        case "GET": try set(CURLOPT_HTTPGET, 1)
        case "HEAD": try set(CURLOPT_NOBODY, 1)
        default: try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.count)
            // COPYPOSTFIELDS copies, so the array need not outlive this call.
            let code =
                body.isEmpty
                ? mt_curl_easy_setopt_string(raw, CURLOPT_COPYPOSTFIELDS, "")
                : body.withUnsafeBytes { bytes in
                    mt_curl_easy_setopt_pointer(raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress!))
                }
            try check(code, CURLOPT_COPYPOSTFIELDS)
        }
        try setHeaders(request.headerLines)
    }

    /// Replaces the request's header lines; the list lives until the next call, `reset` or deinit.
    func setHeaders(_ lines: [String]) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let longer = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw CurlError(failure: .other, code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "out of memory for a header")
            }
            list = longer
        }
        let code = mt_curl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, list)
        guard code == CURLE_OK else {
            curl_slist_free_all(list)
            try check(code, CURLOPT_HTTPHEADER)
            return
        }
        curl_slist_free_all(headerList)
        headerList = list
    }

    func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(mt_curl_easy_setopt_long(raw, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(CurlError) {
        try check(mt_curl_easy_setopt_string(raw, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int) throws(CurlError) {
        try check(mt_curl_easy_setopt_off_t(raw, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(CurlError) {
        try check(mt_curl_easy_setopt_pointer(raw, option, value), option)
    }

    func set(_ option: CURLoption, callback value: mt_curl_data_callback) throws(CurlError) {
        try check(mt_curl_easy_setopt_data_callback(raw, option, value), option)
    }

    /// The status of the last transfer; 0 when no answer came.
    var status: Int {
        var code = 0
        // Only a handle that is not an easy handle makes this fail.
        precondition(mt_curl_easy_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
        return code
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(CurlError) {
        guard code != CURLE_OK else { return }
        let name = curl_easy_option_by_id(option).map { String(cString: $0.pointee.name) } ?? "\(option.rawValue)"
        throw CurlError(
            failure: .other, code: Int(code.rawValue),
            message: "libcurl refused CURLOPT_\(name): \(String(cString: curl_easy_strerror(code)).lowercased())")
    }
}

extension CurlRequest {
    /// The header lines every transfer of this request sends.
    var headerLines: [String] {
        var lines = headers.map { "\($0.name): \($0.value)" }
        if case .bearer(let token) = auth { lines.append("Authorization: Bearer \(token)") }
        if body != nil {
            // curl would otherwise announce a form body.
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                lines.append("Content-Type: application/json")
            }
            // curl sends "Expect: 100-continue" for larger bodies and waits up to a second
            // for the go-ahead; every peer here takes the body at once.
            lines.append("Expect:")
        }
        return lines
    }
}

extension TransferFailure {
    /// The failure a libcurl result stands for; nil for success.
    init?(curl code: CURLcode) {
        switch code {
        case CURLE_OK: return nil
        case CURLE_COULDNT_CONNECT: self = .connectRefused
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: self = .dns
        case CURLE_OPERATION_TIMEDOUT: self = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            self = .tls
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE: self = .reset
        case CURLE_FILESIZE_EXCEEDED: self = .tooLarge
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM: self = .protocolError
        default: self = .other
        }
    }
}
