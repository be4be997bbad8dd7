import CCurl

/// libcurl's process-wide set-up. `curl_global_init` is not thread-safe and must run before
/// any thread makes a handle; a static `let` is initialised exactly once, under Swift's own
/// once-lock, by whichever thread gets here first.
enum CurlGlobal {
    private static let result: CURLcode = mt_curl_global_init_all()

    static func initialise() throws(CurlError) {
        guard result == CURLE_OK else {
            throw CurlError(failure: .other, code: Int(result.rawValue), message: "libcurl could not be initialised")
        }
    }
}
