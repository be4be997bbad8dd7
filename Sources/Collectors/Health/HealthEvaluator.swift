/// The checks that follow from what the sources answered; pure, so each verdict is tested
/// without servers.
public enum HealthEvaluator {
    public struct PrometheusFacts: Sendable {
        /// nil when ready, else why not.
        public var notReady: String?
        public var readyLatency: Duration?
        public var targets: (up: Int, total: Int)?
        public var targetsError: String?
        public var edges: [EdgeStats]?
        public var queryError: String?
        public var window: String
        /// The profile's metric is not in Prometheus at all (`ProfileStatus.noSeries`).
        public var noSeries: String?
        /// The backend answering, once known (given or detected).
        public var kind: PrometheusKind?
        /// The backend answered `/api/v1/targets` with 404: it has no scrape targets to check.
        public var noTargetsAPI = false
        /// The last round's warnings (Thanos's partial responses, say): its figures may lack a part.
        public var warnings: [String] = []

        public init(
            notReady: String?, readyLatency: Duration? = nil, targets: (up: Int, total: Int)? = nil,
            targetsError: String? = nil, edges: [EdgeStats]? = nil, queryError: String? = nil, window: String = "1m"
        ) {
            self.notReady = notReady
            self.readyLatency = readyLatency
            self.targets = targets
            self.targetsError = targetsError
            self.edges = edges
            self.queryError = queryError
            self.window = window
        }
    }

    public struct ServiceFacts: Sendable {
        /// nil when the service answered `GET /` with its sentence, else what went wrong.
        public var problem: String?
        public var latency: Duration?

        public init(problem: String?, latency: Duration?) {
            self.problem = problem
            self.latency = latency
        }
    }

    public static func prometheus(_ facts: PrometheusFacts?, thresholds: HealthThresholds) -> [HealthCheck] {
        guard let facts else { return [HealthCheck("prometheus", .skipped, "not configured (--prometheus, MESHTOP_PROMETHEUS)")] }
        let ready = facts.kind.map { kind in "ready (\(kind.rawValue): \(kind.readiness?.path ?? "query 1"))" } ?? "ready"
        var checks = [
            HealthCheck(
                "prometheus ready", facts.notReady == nil ? .ok : .fail, facts.notReady ?? ready, latency: facts.readyLatency)
        ]
        if let (up, total) = facts.targets {
            // Only a Prometheus gets all its data by scraping: a backend written to has none of its own.
            let none: HealthCheck.Status = (facts.kind ?? .prometheus).needsTargets ? .warn : .skipped
            let status: HealthCheck.Status = total == 0 ? none : up == total ? .ok : up == 0 ? .fail : .warn
            checks.append(HealthCheck("scrape targets", status, total == 0 ? "no active targets" : "\(up)/\(total) targets up"))
        } else if let error = facts.targetsError {
            checks.append(HealthCheck("scrape targets", .fail, error))
        } else if facts.noTargetsAPI || facts.kind?.hasTargets == false {
            checks.append(HealthCheck("scrape targets", .skipped, "\(facts.kind?.rawValue ?? "the backend") has no scrape targets API"))
        }
        if !facts.warnings.isEmpty {
            // Thanos answers what it could reach and says what it could not: the figures may lack a part.
            checks.append(
                HealthCheck("prometheus warnings", .warn, "partial answer: " + facts.warnings.joined(separator: "; ")))
        }
        if let error = facts.queryError {
            checks.append(HealthCheck("mesh traffic", .fail, "queries failed: \(error)"))
        } else if let edges = facts.edges {
            let rps = edges.reduce(0) { $0 + $1.rps }
            if rps <= 0 {
                checks.append(HealthCheck("mesh success rate", .skipped, facts.noSeries ?? "no traffic over the last \(facts.window)"))
            } else {
                let succeeded = edges.reduce(0) { $0 + $1.rps * ($1.successRate ?? 1) }
                let rate = succeeded / rps
                let failing = edges.filter { ($0.successRate ?? 1) < thresholds.successRate }
                    .map { "\($0.key.source) → \($0.key.destination) \(percent($0.successRate ?? 1))" }
                checks.append(
                    HealthCheck(
                        "mesh success rate", rate >= thresholds.successRate ? .ok : .fail,
                        "\(percent(rate)) over \(facts.window) (threshold \(percent(thresholds.successRate)))"
                            + (failing.isEmpty ? "" : "; " + failing.joined(separator: ", "))))
                if let check = mutualTLS(edges) { checks.append(check) }
                let worst = edges.compactMap { edge in edge.p99.map { (edge, $0) } }.max { $0.1 < $1.1 }
                if let (edge, p99) = worst {
                    checks.append(
                        HealthCheck(
                            "mesh p99", p99 <= thresholds.p99Milliseconds ? .ok : .warn,
                            "worst \(milliseconds(p99)) on \(edge.key.source) → \(edge.key.destination) (threshold \(milliseconds(thresholds.p99Milliseconds)))"))
                }
            }
        }
        return checks
    }

    /// A warning for edges that carry plaintext (Istio's `connection_security_policy="none"`);
    /// nil when no edge's reporter knows its policy.
    static func mutualTLS(_ edges: [EdgeStats]) -> HealthCheck? {
        let known = edges.filter { $0.mutualTLS != nil }
        guard !known.isEmpty else { return nil }
        let plain = known.filter { $0.mutualTLS! < 1 }.sorted { $0.mutualTLS! < $1.mutualTLS! }
        guard !plain.isEmpty else { return HealthCheck("mesh mTLS", .ok, "\(known.count) of \(known.count) edges over mutual TLS") }
        let named = plain.prefix(3).map { "\($0.key.source) → \($0.key.destination) \(percent($0.mutualTLS!)) mTLS" }
        let more = plain.count > 3 ? ", and \(plain.count - 3) more" : ""
        return HealthCheck(
            "mesh mTLS", .warn, "\(plain.count) of \(known.count) edges carry plaintext: " + named.joined(separator: ", ") + more)
    }

    public static func etcd(_ view: EtcdClusterView?, error: String?, configured: Bool, thresholds: HealthThresholds) -> [HealthCheck] {
        guard configured else { return [HealthCheck("etcd", .skipped, "not configured (--etcd, MESHTOP_ETCD)")] }
        guard let view else { return [HealthCheck("etcd", .fail, error ?? "no answer yet")] }
        var checks: [HealthCheck] = []
        for member in view.members {
            let name = "etcd member \(member.name ?? member.endpoint)"
            if member.healthy == true {
                checks.append(HealthCheck(name, .ok, "healthy\(member.isLeader ? ", leader" : ""), \(member.version ?? "?")", latency: member.latency))
            } else {
                checks.append(HealthCheck(name, .fail, member.error ?? "unhealthy", latency: member.latency))
            }
        }
        if view.members.isEmpty { checks.append(HealthCheck("etcd members", .fail, view.memberListError ?? "no member answered")) }
        checks.append(
            view.leader == nil
                ? HealthCheck("etcd leader", .fail, "no member reports a leader")
                : HealthCheck("etcd leader", .ok, "leader \(EtcdID.text(view.leader!)), term \(view.raftTerm.map(String.init) ?? "?")"))
        checks.append(
            view.clusterIDMismatch
                ? HealthCheck("etcd cluster id", .fail, "members disagree: \(view.clusterIDs.map(EtcdID.text).joined(separator: ", "))")
                : HealthCheck("etcd cluster id", view.clusterID == nil ? .warn : .ok, view.clusterID.map { "one cluster \(EtcdID.text($0))" } ?? "unknown"))
        if let lag = view.raftLag {
            checks.append(
                HealthCheck(
                    "etcd raft lag", lag <= thresholds.raftLag ? .ok : .warn,
                    "raft index spread \(lag) (threshold \(thresholds.raftLag))"))
        }
        return checks
    }

    public static func service(_ facts: ServiceFacts?) -> [HealthCheck] {
        guard let facts else { return [HealthCheck("storage service", .skipped, "not configured (--service, MESHTOP_SERVICE)")] }
        return [HealthCheck("storage service", facts.problem == nil ? .ok : .fail, facts.problem ?? "answers GET /", latency: facts.latency)]
    }

    /// The telemetry ledger: warn when a hop's counts disagree by more than the threshold,
    /// naming the hop and the likely cause of the worst disagreement.
    public static func ledger(_ ledger: TelemetryLedger?, thresholds: HealthThresholds) -> HealthCheck {
        guard let ledger, !ledger.rows.isEmpty else {
            return HealthCheck("telemetry ledger", .skipped, "no requests counted (metrics or --logs) in the window")
        }
        let hops = ledger.rows.count
        guard let (hop, gap) = ledger.worst, gap.share > thresholds.ledgerGap else {
            let within = ledger.balanced ? "balance to the request" : "agree within \(percent(thresholds.ledgerGap))"
            return HealthCheck("telemetry ledger", .ok, "load, metrics and logs \(within) on \(hops) hop\(hops == 1 ? "" : "s")")
        }
        return HealthCheck(
            "telemetry ledger", .warn,
            "\(ControlBytes.sanitize(hop)): \(gap.count) of \(gap.of) (\(percent(gap.share))) \(gap.kind.rawValue): \(ControlBytes.sanitize(gap.cause))")
    }

    static func percent(_ rate: Double) -> String {
        let value = rate * 100
        return value >= 99.95 && value < 100 ? "99.9%" : "\((value * 10).rounded() / 10)%"
    }

    static func milliseconds(_ value: Double) -> String { value >= 10 ? "\(Int(value.rounded())) ms" : "\((value * 10).rounded() / 10) ms" }

}
