/// One HTTP exchange as a recording keeps it (`RecordingFrame.Kind.exchange`): the request's
/// method, URL and body, then the answer's status, headers and body, or the failure that left
/// it without one, and the latency. Credentials are not kept: the request's headers and the
/// URL's user info stay out of the file.
public struct RecordedExchange: Sendable, Equatable {
    public var method: String
    public var url: String
    public var requestBody: [UInt8]
    /// 0 when the exchange failed.
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var latencyMicroseconds: Int64
    /// `TransferFailure.label` and curl's message, when it failed.
    public var failure: String?
    public var message: String?

    public init(request: CurlRequest, outcome: Result<CurlResponse, CurlError>, latency: Duration) {
        method = request.method
        url = Self.withoutUserInfo(request.url)
        requestBody = request.body ?? []
        latencyMicroseconds = latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000
        switch outcome {
        case .success(let response):
            status = response.status
            headers = response.headers
            body = response.body
        case .failure(let error):
            status = 0
            headers = []
            body = []
            failure = error.failure.label
            message = error.message
        }
    }

    public init?(_ frame: RecordingFrame) {
        guard frame.kind == RecordingFrame.Kind.exchange.rawValue, frame.fields.count >= 7 else { return nil }
        method = frame.text(0)
        url = frame.text(1)
        requestBody = frame.bytes(2)
        status = Int(frame.text(3)) ?? 0
        headers = frame.text(4).split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        body = frame.bytes(5)
        latencyMicroseconds = Int64(frame.text(6)) ?? 0
        failure = frame.fields.count > 7 && !frame.fields[7].isEmpty ? frame.text(7) : nil
        message = frame.fields.count > 8 && !frame.fields[8].isEmpty ? frame.text(8) : nil
    }

    public var fields: [[UInt8]] {
        [
            Array(method.utf8), Array(url.utf8), requestBody, Array(String(status).utf8),
            Array(headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n").utf8), body,
            Array(String(latencyMicroseconds).utf8), Array((failure ?? "").utf8), Array((message ?? "").utf8),
        ]
    }

    public static func == (a: RecordedExchange, b: RecordedExchange) -> Bool {
        a.method == b.method && a.url == b.url && a.requestBody == b.requestBody && a.status == b.status
            && a.headers.elementsEqual(b.headers) { $0.name == $1.name && $0.value == $1.value } && a.body == b.body
            && a.latencyMicroseconds == b.latencyMicroseconds && a.failure == b.failure && a.message == b.message
    }

    /// `http://user:secret@host/…` → `http://host/…`.
    static func withoutUserInfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let slash = url[scheme.upperBound...].firstIndex(of: "/") ?? url.endIndex
        return at < slash ? String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...]) : url
    }
}

extension RecordingWriter {
    /// A tap for the clients that writes each exchange as a frame.
    public var exchangeTap: ExchangeTap {
        { [self] request, outcome, latency in
            add(.exchange, RecordedExchange(request: request, outcome: outcome, latency: latency).fields)
        }
    }

    /// A log line as it came, with its source.
    public func addLogLine(source: String, _ line: UnsafeBufferPointer<UInt8>) {
        add(.logLine, [Array(source.utf8), Array(line)])
    }
}
