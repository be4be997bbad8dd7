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

    /// Reads the inbound headers; a missing or empty x-request-id gets a fresh UUIDv4, as Envoy does.
    init(from headers: HTTPFields) {
        let incoming = headers[Self.requestIDName].flatMap { $0.isEmpty ? nil : $0 }
        var fields: [(name: String, value: String)] = []
        for name in Self.forwarded {
            for value in headers[values: name] { fields.append((name: name.canonicalName, value: value)) }
        }
        self.init(requestID: incoming ?? UUID().uuidString.lowercased(), fields: fields)
    }

    /// Every header to send on an outbound call, x-request-id first.
    var outbound: [(name: String, value: String)] {
        [(name: "x-request-id", value: requestID)] + fields
    }
}
