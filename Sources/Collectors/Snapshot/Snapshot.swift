import Foundation

/// How fresh one backend's data is: when it last answered, how long that took, and the
/// error of the last attempt if it failed.
public struct BackendFreshness: Sendable, Equatable {
    public var configured: Bool
    public var ok: Bool
    public var latency: Duration?
    public var lastSuccess: Date?
    public var lastAttempt: Date?
    public var error: String?

    public init(configured: Bool) {
        self.configured = configured
        ok = false
    }

    /// Seconds since the last success, for "data is 12 s old".
    public func age(at time: Date) -> TimeInterval? { lastSuccess.map { time.timeIntervalSince($0) } }
}

/// Everything meshtop knows at one moment: an immutable value the views render and
/// `meshtop snapshot` prints.
public struct Snapshot: Sendable, Equatable {
    /// What meshtop polls.
    public enum Backend: String, Sendable, CaseIterable, Comparable {
        case prometheus, etcd, service, kubernetes
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    public var time: Date
    public var backends: [Backend: BackendFreshness]
    public var edges: [EdgeStats]
    public var history: MeshHistory
    public var prometheusWarnings: [String]
    public var etcd: EtcdClusterView?
    public var health: [HealthCheck]
    public var profile: ProfileStatus
    /// Requests the metrics counted since the ledger's mark, per hop.
    public var requestCounts: RequestCounts?

    public init(
        time: Date, backends: [Backend: BackendFreshness], edges: [EdgeStats] = [], history: MeshHistory = MeshHistory(),
        prometheusWarnings: [String] = [], etcd: EtcdClusterView? = nil, health: [HealthCheck] = [],
        profile: ProfileStatus = ProfileStatus(choice: .istio), requestCounts: RequestCounts? = nil
    ) {
        self.time = time
        self.backends = backends
        self.edges = edges
        self.history = history
        self.prometheusWarnings = prometheusWarnings
        self.etcd = etcd
        self.health = health
        self.profile = profile
        self.requestCounts = requestCounts
    }

    /// No check failed (skipped and warnings do not count).
    public var healthy: Bool { !health.contains { $0.status == .fail } }
}
