import HTTPTypes

/// Who called, from the `x-envoy-peer-metadata-id` header Istio's proxies exchange
/// (`sidecar~10.0.0.7~productpage-v1-6b746f74dc-9rlmh.default~default.svc.cluster.local`),
/// so the stand-in `istio_requests_total` names its source as istio-proxy's would instead
/// of `unknown`. Anything that does not look like one is ignored: the header comes from
/// the network.
struct PeerIdentity: Sendable, Equatable {
    static let headerName = HTTPField.Name("x-envoy-peer-metadata-id")!
    /// A node id is four short fields; a longer header is not one.
    static let maxBytes = 512

    var workload: String
    var namespace: String

    init(workload: String, namespace: String) {
        self.workload = workload
        self.namespace = namespace
    }

    init?(from headers: HTTPFields) {
        guard let value = headers[Self.headerName] else { return nil }
        self.init(nodeID: value)
    }

    init?(nodeID: String) {
        guard nodeID.utf8.count <= Self.maxBytes else { return nil }
        let parts = nodeID.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 4, let dot = parts[2].lastIndex(of: ".") else { return nil }
        let pod = parts[2][..<dot]
        let namespace = parts[2][parts[2].index(after: dot)...]
        guard Self.isName(pod), Self.isName(namespace) else { return nil }
        self.init(workload: Self.workload(ofPod: String(pod)), namespace: String(namespace))
    }

    /// A Deployment's pod is `NAME-HASH-SUFFIX`, a StatefulSet's `NAME-ORDINAL`; Istio names
    /// the workload by NAME. Anything else is its own workload.
    static func workload(ofPod pod: String) -> String {
        let parts = pod.split(separator: "-")
        if parts.count >= 3, parts[parts.count - 1].count == 5, (6...10).contains(parts[parts.count - 2].count) {
            return parts.dropLast(2).joined(separator: "-")
        }
        if parts.count >= 2, let last = parts.last, last.allSatisfy(\.isNumber) {
            return parts.dropLast().joined(separator: "-")
        }
        return pod
    }

    /// Kubernetes names: lower-case letters, digits, `-` and `.`, at most 253 bytes.
    static func isName(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.count <= 253
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
    }
}
