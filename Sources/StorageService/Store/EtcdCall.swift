import Collectors
import Foundation

/// What one HTTP call to etcd did, for metrics and the client-side access-log line.
struct EtcdCall: Sendable {
    enum Outcome: Sendable, Equatable {
        case answered(status: Int)
        case failed(TransferFailure)
    }

    var operation: String
    var method: String
    var path: String
    var endpoint: EtcdEndpoint
    var requestID: String
    var startTime: String
    var durationSeconds: Double
    var bytesSent: Int
    var bytesReceived: Int
    var outcome: Outcome
}

/// Told about every etcd call; telemetry implements it, tests may too.
protocol EtcdCallObserver: Sendable {
    func etcdCallFinished(_ call: EtcdCall)
}

/// One etcd client URL, split once so the hot path does no parsing.
struct EtcdEndpoint: Sendable, Equatable {
    /// e.g. "http://127.0.0.1:2379", without a trailing slash.
    var baseURL: String
    /// e.g. "127.0.0.1:2379": the upstream host of the access log and the metrics' destination.
    var hostPort: String
    var host: String
    var port: Int

    init?(_ url: String) {
        var base = url.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let parts = URLComponents(string: base), let scheme = parts.scheme, scheme == "http" || scheme == "https",
            let host = parts.host, !host.isEmpty
        else { return nil }
        let port = parts.port ?? (scheme == "https" ? 443 : 80)
        self.baseURL = base
        self.host = host
        self.port = port
        self.hostPort = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
