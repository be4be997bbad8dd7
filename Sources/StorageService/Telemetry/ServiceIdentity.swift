/// How this service names itself in Istio-style labels. In a pod the namespace comes
/// from the downward API (POD_NAMESPACE); callers without a mesh identity are "unknown",
/// as Istio reports them.
struct ServiceIdentity: Sendable {
    var workload = "storage-service"
    var namespace = "default"
    /// What the etcd calls' metrics name as their destination service, when the app calls
    /// etcd at its sidecar's address: nil names the URL's host.
    var etcdService: String?

    var serviceHost: String { "\(workload).\(namespace).svc.cluster.local" }
}
