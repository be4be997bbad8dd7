/// What an Envoy cluster name says about where its requests go.
///
/// Istio names clusters `outbound|PORT|SUBSET|HOST` and `inbound|PORT||` (older releases
/// `inbound|PORT|NAME|HOST`); Envoy Gateway and Contour use names of their own
/// (`httproute/default/backend/rule/0`, `default/backend/80`), shown as they are.
public enum EnvoyCluster: Equatable, Sendable {
    /// Requests to another service: the host of an Istio outbound cluster, or a plain name.
    case upstream(String)
    /// Requests a sidecar hands to its own application on PORT.
    case inbound(port: String)
    /// Envoy's own plumbing (config, certificates, its agent, the stats listener): no traffic.
    case control

    /// istio-proxy's bootstrap clusters that carry no application traffic. Passthrough and
    /// BlackHole stay: they are real requests, to outside the mesh or dropped.
    public static let controlClusters: Set<String> = ["xds-grpc", "sds-grpc", "agent", "prometheus_stats"]

    public init(name: String) {
        if Self.controlClusters.contains(name) {
            self = .control
            return
        }
        let parts = name.split(separator: "|", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0] == "outbound", !parts[3].isEmpty {
            self = .upstream(String(parts[3]))
        } else if parts.count == 4, parts[0] == "inbound" {
            self = .inbound(port: String(parts[1]))
        } else {
            self = .upstream(name)
        }
    }

    /// The edge of a series from `workload` (in `namespace`, "" when the scrape has none) to
    /// this cluster; nil for control clusters.
    ///
    /// An inbound cluster's callers are not in Envoy's cluster stats: its edge is
    /// `inbound → WORKLOAD`, the requests that reached the workload's application, as
    /// Istio's reporter=destination rows show them with an unknown source.
    public func edge(workload: String, namespace: String) -> EdgeKey? {
        switch self {
        case .control: return nil
        case .upstream(let destination):
            return EdgeKey(
                sourceWorkload: workload, sourceNamespace: namespace, destinationWorkload: destination, destinationNamespace: "",
                destinationService: destination)
        case .inbound(let port):
            return EdgeKey(
                sourceWorkload: "inbound", sourceNamespace: "", destinationWorkload: workload, destinationNamespace: namespace,
                destinationService: port.isEmpty ? "inbound" : "inbound:\(port)")
        }
    }

    /// The edge of one series of the envoy profile's queries, from its labels.
    public static func edge(labels: [String: String]) -> EdgeKey? {
        let cluster = [labels["envoy_cluster_name"], labels["cluster_name"]].compactMap { $0 }.first { !$0.isEmpty } ?? ""
        guard !cluster.isEmpty else { return nil }
        let workload = [labels["workload"], labels["job"]].compactMap { $0 }.first { !$0.isEmpty } ?? "unknown"
        return EnvoyCluster(name: cluster).edge(workload: workload, namespace: labels["namespace"] ?? "")
    }
}
