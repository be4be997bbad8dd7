/// One line of `meshtop health`: a check, its verdict, why, and how long asking took.
public struct HealthCheck: Sendable, Equatable {
    public enum Status: String, Sendable, Comparable {
        case ok, warn, fail, skipped

        private var rank: Int {
            switch self {
            case .skipped: 0
            case .ok: 1
            case .warn: 2
            case .fail: 3
            }
        }

        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    }

    public var name: String
    public var status: Status
    public var message: String
    public var latency: Duration?

    public init(_ name: String, _ status: Status, _ message: String, latency: Duration? = nil) {
        self.name = name
        self.status = status
        self.message = message
        self.latency = latency
    }
}

/// Where a check turns from OK to WARN or FAIL (the config file's `thresholds:`).
public struct HealthThresholds: Sendable, Equatable {
    /// Mesh success rate below this fails (over the query window, when there is traffic).
    public var successRate = 0.99
    /// Mesh P99 above this warns, in milliseconds.
    public var p99Milliseconds = 500.0
    /// Raft index spread across members above this warns.
    public var raftLag: UInt64 = 100
    /// Two counts of one hop in the telemetry ledger disagreeing by more than this share warns.
    public var ledgerGap = 0.01

    public init() {}
}
