import Foundation

/// A request's link into a tracing UI (Jaeger, Zipkin, Tempo), from the `tracing_url`
/// template: `{request_id}` is the x-request-id, `{trace_id}` the trace id of the W3C
/// `traceparent` header, of B3's `x-b3-traceid` or of Envoy's `%TRACE_ID%`, where the log
/// format carries one of them.
public struct TracingLink: Sendable, Equatable {
    public let template: String

    public init(template: String) { self.template = template }

    /// The keys under which a format's unmodelled fields hold a trace id or a traceparent,
    /// as `AccessLogParser.extraKey` names them and as JSON formats usually do.
    static let traceIDKeys = ["trace_id", "req(x-b3-traceid)", "x_b3_traceid", "x-b3-traceid"]
    static let traceparentKeys = ["traceparent", "req(traceparent)"]

    /// The trace id in a record, lower-case hex, or nil.
    public static func traceID(_ record: AccessLogRecord) -> String? {
        for key in traceparentKeys {
            if let header = record.extra[key], let id = traceID(traceparent: header) { return id }
        }
        for key in traceIDKeys {
            if let id = record.extra[key]?.lowercased(), isHex(id), id.count == 16 || id.count == 32, !isZero(id) { return id }
        }
        return nil
    }

    /// The trace id of `version-traceid-parentid-flags`; nil for a malformed or all-zero one.
    public static func traceID(traceparent: String) -> String? {
        let parts = traceparent.lowercased().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", parts[1].count == 32, parts[2].count == 16,
            parts.prefix(4).allSatisfy({ isHex(String($0)) }), !isZero(String(parts[1]))
        else { return nil }
        return String(parts[1])
    }

    /// The link for one request, or why there is none. Values are percent-encoded: an id is
    /// the client's text and must not change the link's shape.
    public func url(requestID: String?, traceID: String?) -> Result<String, Missing> {
        var url = template
        for (placeholder, value) in [("{request_id}", requestID), ("{trace_id}", traceID)] where url.contains(placeholder) {
            guard let value, !value.isEmpty else { return .failure(Missing(placeholder: placeholder)) }
            url = url.replacingOccurrences(of: placeholder, with: value.addingPercentEncoding(withAllowedCharacters: Self.safe) ?? "")
        }
        return .success(url)
    }

    public struct Missing: Error, Sendable, Equatable {
        public let placeholder: String
        public init(placeholder: String) { self.placeholder = placeholder }
        public var message: String {
            placeholder == "{trace_id}" ? "no trace id: the log format carries no traceparent or trace id" : "no x-request-id"
        }
    }

    /// The template with sample values, for the URL check at start-up.
    public var sample: String {
        template.replacingOccurrences(of: "{request_id}", with: "r").replacingOccurrences(of: "{trace_id}", with: "0")
    }

    private static let safe = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func isHex(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    private static func isZero(_ text: String) -> Bool { text.utf8.allSatisfy { $0 == 48 } }
}
