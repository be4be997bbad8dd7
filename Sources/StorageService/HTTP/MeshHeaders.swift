import Foundation
import HTTPTypes

/// The request id and the tracing headers of one inbound request, to forward on every
/// call it makes (Istio's tracing needs applications to pass these along).
struct MeshHeaders: Sendable {
    static let forwarded: [HTTPField.Name] = [
        "traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
        "x-b3-sampled", "x-b3-flags", "x-ot-span-context", "baggage",
    ].compactMap { HTTPField.Name($0) }

    static let requestIDName = HTTPField.Name("x-request-id")!

    var requestID: String
    var fields: [(name: String, value: String)]

    init(requestID: String = UUID().uuidString.lowercased(), fields: [(name: String, value: String)] = []) {
        self.requestID = requestID
        self.fields = fields
    }

    /// The longest x-request-id kept; Envoy's own are 36 bytes, W3C trace ids 32.
    static let maxRequestIDBytes = 128

    /// Reads the inbound headers; a missing x-request-id, or one that is not a plain token,
    /// gets a fresh UUIDv4, as Envoy does for a missing one.
    init(from headers: HTTPFields) {
        let incoming = headers[Self.requestIDName].flatMap { Self.isAcceptableRequestID($0) ? $0 : nil }
        var fields: [(name: String, value: String)] = []
        for name in Self.forwarded {
            for value in headers[values: name] { fields.append((name: name.canonicalName, value: value)) }
        }
        self.init(requestID: incoming ?? UUID().uuidString.lowercased(), fields: fields)
    }

    /// Visible ASCII without `"` or `\`, 1–128 bytes. The id is written into access-log
    /// lines and pairs requests across hops, so a client must not be able to make it end
    /// a quoted field early, forge another request's id or hide bytes in it. A bad id is
    /// replaced rather than answered 400: tracing headers are the caller's business, and
    /// the echoed header tells the caller which id was used.
    static func isAcceptableRequestID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maxRequestIDBytes else { return false }
        return bytes.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
        }
    }

    /// Every header to send on an outbound call, x-request-id first.
    var outbound: [(name: String, value: String)] {
        [(name: "x-request-id", value: requestID)] + fields
    }
}
