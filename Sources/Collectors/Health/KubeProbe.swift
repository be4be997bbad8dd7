import Foundation

/// The Kubernetes checks of `meshtop health`, through kubectl: the app's pods Ready, an
/// istio-proxy sidecar present and ready in each, istiod Ready. Without kubectl or a
/// reachable context the checks are skipped and say why.
public struct KubeProbe: Sendable {
    public var kubectl: String
    public var context: String?
    public var namespace: String

    public init(kubectl: String = "kubectl", context: String? = nil, namespace: String = "default") {
        self.kubectl = kubectl
        self.context = context
        self.namespace = namespace
    }

    struct PodList: Decodable {
        struct Pod: Decodable {
            struct Metadata: Decodable { var name: String }
            struct Spec: Decodable {
                struct Container: Decodable { var name: String }
                var containers: [Container]?
                var initContainers: [Container]?
            }
            struct Status: Decodable {
                struct Condition: Decodable { var type: String; var status: String }
                struct ContainerStatus: Decodable { var name: String; var ready: Bool }
                var phase: String?
                var conditions: [Condition]?
                var containerStatuses: [ContainerStatus]?
                var initContainerStatuses: [ContainerStatus]?
            }
            var metadata: Metadata
            var spec: Spec?
            var status: Status?

            var isReady: Bool { status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true }

            /// Istio's sidecar is a container, or (1.28+ native sidecars) an init container.
            var sidecarReady: Bool? {
                let statuses = (status?.containerStatuses ?? []) + (status?.initContainerStatuses ?? [])
                let declared = (spec?.containers ?? []) + (spec?.initContainers ?? [])
                guard declared.contains(where: { $0.name == "istio-proxy" }) else { return nil }
                return statuses.first { $0.name == "istio-proxy" }?.ready ?? false
            }
        }
        var items: [Pod]
    }

    public func checks() async -> [HealthCheck] {
        let clock = ContinuousClock()
        let start = clock.now
        let apps = await list(namespace: namespace, selector: nil)
        let istiod = await list(namespace: "istio-system", selector: "app=istiod")
        let latency = clock.now - start
        guard case .success(let pods) = apps else {
            if case .failure(let reason) = apps {
                return [HealthCheck("kubernetes", .skipped, "no reachable kube context: \(reason)")]
            }
            return []
        }
        var checks: [HealthCheck] = []
        let notReady = pods.filter { !$0.isReady }.map(\.metadata.name)
        checks.append(
            pods.isEmpty
                ? HealthCheck("pods ready", .warn, "no pods in namespace \(namespace)", latency: latency)
                : HealthCheck(
                    "pods ready", notReady.isEmpty ? .ok : .fail,
                    notReady.isEmpty
                        ? "\(pods.count)/\(pods.count) pods Ready in \(namespace)"
                        : "\(pods.count - notReady.count)/\(pods.count) Ready; not ready: \(notReady.sorted().joined(separator: ", "))",
                    latency: latency))
        let withoutSidecar = pods.filter { $0.sidecarReady == nil }.map(\.metadata.name)
        let sidecarNotReady = pods.filter { $0.sidecarReady == false }.map(\.metadata.name)
        if !pods.isEmpty {
            if !withoutSidecar.isEmpty {
                checks.append(HealthCheck("istio-proxy sidecars", .fail, "no istio-proxy in: \(withoutSidecar.sorted().joined(separator: ", "))"))
            } else if !sidecarNotReady.isEmpty {
                checks.append(HealthCheck("istio-proxy sidecars", .fail, "istio-proxy not ready in: \(sidecarNotReady.sorted().joined(separator: ", "))"))
            } else {
                checks.append(HealthCheck("istio-proxy sidecars", .ok, "\(pods.count)/\(pods.count) pods have a ready istio-proxy"))
            }
        }
        switch istiod {
        case .success(let pods) where pods.contains(where: \.isReady):
            checks.append(HealthCheck("istiod", .ok, "\(pods.filter(\.isReady).count)/\(pods.count) istiod pods Ready"))
        case .success(let pods):
            checks.append(HealthCheck("istiod", .fail, pods.isEmpty ? "no istiod pod in istio-system" : "no istiod pod is Ready"))
        case .failure(let reason):
            checks.append(HealthCheck("istiod", .fail, reason.description))
        }
        return checks
    }

    /// A kubectl that cannot reach the API server gives up well before this.
    private static let timeout: Duration = .seconds(30)

    private func list(namespace: String, selector: String?) async -> Result<[PodList.Pod], KubeError> {
        var arguments: [String] = []
        if let context { arguments += ["--context", context] }
        arguments += ["-n", namespace, "get", "pods", "-o", "json"]
        if let selector { arguments += ["-l", selector] }
        let (kubectl, command) = (self.kubectl, arguments)
        let completion: Subprocess.Completion
        do {
            completion = try await OffPool.run { () throws(SubprocessError) in try Subprocess.run(kubectl, command, timeout: Self.timeout) }
        } catch {
            return .failure(KubeError(error.description))
        }
        guard completion.status == 0, !completion.outputTruncated else {
            // kubectl ends with its own summary ("The connection to the server … was refused")
            // after any client-go log lines.
            let reason =
                completion.timedOut ? "kubectl get pods took over \(Self.timeout)"
                : completion.outputTruncated ? "kubectl get pods: a pod list too large to read"
                : completion.lastErrorLine ?? "kubectl exited \(completion.status)"
            return .failure(KubeError(ControlBytes.sanitize(reason)))
        }
        guard let list = try? JSONDecoder().decode(PodList.self, from: completion.output) else {
            return .failure(KubeError("kubectl get pods: not a pod list"))
        }
        return .success(list.items)
    }
}

public struct KubeError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
