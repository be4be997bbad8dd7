import CCurl
import Foundation

/// One-shot exchanges on one libcurl easy handle (`CurlHandle` owns it), the answer
/// buffered up to the request's bound: `perform` runs one on the calling thread, or
/// `prepare` sets one up for `CurlLoop` and `finish` turns its result into the answer.
///
/// Not thread-safe by design: one handle belongs to one thread at a time, and reusing it
/// keeps the connection to the same host alive between calls.
public final class CurlEasy {
    private let handle: CurlHandle
    /// What the callbacks of the exchange under way collect; they reach it unretained,
    /// so it is held here from `prepare` to `finish`.
    private var sink: ResponseSink?

    var raw: UnsafeMutableRawPointer { handle.raw }

    /// libcurl's own version string, e.g. "7.88.1".
    public static var libraryVersion: String { String(cString: mt_curl_version_string()) }

    public init() throws(CurlError) {
        handle = try CurlHandle()
    }

    public func perform(_ request: CurlRequest) throws(CurlError) -> CurlResponse {
        try prepare(request)
        return try finish(curl_easy_perform(handle.raw))
    }

    /// Sets the handle up for `request`, callbacks included.
    func prepare(_ request: CurlRequest) throws(CurlError) {
        handle.reset()
        let sink = ResponseSink(limit: request.maxResponseBytes)
        self.sink = sink
        let pointer = Unmanaged.passUnretained(sink).toOpaque()
        try handle.configure(request)
        try handle.set(CURLOPT_WRITEFUNCTION, callback: curlBodyCallback)
        try handle.set(CURLOPT_WRITEDATA, pointer: pointer)
        try handle.set(CURLOPT_HEADERFUNCTION, callback: curlHeaderCallback)
        try handle.set(CURLOPT_HEADERDATA, pointer: pointer)
    }

    /// The answer of the prepared exchange, which ended with `code`; its buffers are let go.
    func finish(_ code: CURLcode) throws(CurlError) -> CurlResponse {
        guard let sink else { preconditionFailure("finish without prepare") }
        self.sink = nil
        if sink.overflowed || code == CURLE_FILESIZE_EXCEEDED {
            throw CurlError(
                failure: .tooLarge, code: Int(code.rawValue),
                message: "answer larger than \(Self.size(sink.limit)) (the limit is --max-answer-size)")
        }
        if let failure = TransferFailure(curl: code) {
            throw CurlError(failure: failure, code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)).lowercased())
        }
        return CurlResponse(status: handle.status, headers: sink.headers, body: sink.body)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : bytes % 1024 == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
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

