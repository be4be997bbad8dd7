import Hummingbird
import NIOCore

/// Per-request state: the mesh headers read by the telemetry middleware and the socket
/// addresses the access log reports.
struct ServiceRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var mesh = MeshHeaders(requestID: "")
    let localAddress: String?
    let remoteAddress: String?
    /// The port this request arrived on, for the `inbound|PORT||` cluster name.
    let localPort: Int?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.localAddress = Self.describe(source.channel.localAddress)
        self.remoteAddress = Self.describe(source.channel.remoteAddress)
        self.localPort = source.channel.localAddress?.port
    }

    /// The body limit is checked while reading: 1 MiB of value plus JSON and escaping room.
    var maxUploadSize: Int { StorageKey.maxRequestBytes }

    private static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
