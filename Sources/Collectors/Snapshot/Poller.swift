import Foundation

/// What to poll and how often.
public struct PollerConfig: Sendable {
    public var prometheus: PrometheusClient?
    public var queries = IstioQueries()
    public var envoyQueries = EnvoyQueries()
    public var grpcFailures = GRPCFailures.standard
    /// Which profile's queries are asked; auto decides from what Prometheus has.
    public var profile: MetricsProfile.Choice = .auto
    public var etcd: EtcdProbe?
    public var etcdConfigured: Bool { etcd != nil }
    public var service: CurlHTTPClient?
    public var kube: KubeProbe?
    /// Why there are no Kubernetes checks (no kubectl, no current context), for `health`.
    public var kubeSkipped = "not configured"
    public var interval: Duration = .seconds(1)
    /// Kubernetes is asked less often: each check is two kubectl runs.
    public var kubeInterval: Duration = .seconds(10)
    public var thresholds = HealthThresholds()
    /// The telemetry ledger's mark: its metrics count from this moment (`snapshot --since`);
    /// nil counts from the first poll on (the dashboard's start).
    public var countsSince: Date?
    /// Every "now" and every wait between polls: the wall clock, or a replay's.
    public var clock: any PollClock = WallClock()

    public init() {}
}

/// Polls every configured source on its own schedule: a slow or dead source delays
/// nobody else, and after a failure it is retried with exponential back-off up to 10 s.
/// `snapshot()` is the state at any moment.
public actor Poller {
    public private(set) var config: PollerConfig
    private var observer: (@Sendable (Snapshot) -> Void)?

    /// Hears the new snapshot after every poll (the dashboard posts it to its event queue).
    public func observe(_ body: @escaping @Sendable (Snapshot) -> Void) {
        observer = body
        body(snapshot())
    }
    public static let maxBackoff: Duration = .seconds(10)

    private var freshness: [Snapshot.Backend: BackendFreshness]
    private var failures: [Snapshot.Backend: Int] = [:]
    private var edges: [EdgeStats] = []
    private var warnings: [String] = []
    private var history = MeshHistory()
    private var prometheusFacts: HealthEvaluator.PrometheusFacts?
    /// What auto found; nil until then, and again once its series are gone.
    private var autoChosen: MetricsProfile.Name?
    private var profileStatus: ProfileStatus
    private var prometheusPolls = 0
    /// The backend, given or detected at the first poll that got an answer; kept after.
    private var prometheusKind: PrometheusKind?
    /// The backend answered `/api/v1/targets` with 404: not asked again.
    private var noTargetsAPI = false
    static let targetsEvery = 10
    private var etcdTracker = EtcdTracker()
    private var etcdView: EtcdClusterView?
    private var serviceFacts: HealthEvaluator.ServiceFacts?
    private var kubeChecks: [HealthCheck] = []
    /// The counters at the ledger's mark, for the profile they were read with.
    private var countMark: (profile: MetricsProfile.Name, totals: RequestCounts.Totals, since: Date)?
    private var requestCounts: RequestCounts?

    public init(_ config: PollerConfig) {
        self.config = config
        profileStatus = ProfileStatus(choice: config.profile)
        freshness = [
            .prometheus: BackendFreshness(configured: config.prometheus != nil),
            .etcd: BackendFreshness(configured: config.etcd != nil),
            .service: BackendFreshness(configured: config.service != nil),
            .kubernetes: BackendFreshness(configured: config.kube != nil),
        ]
    }

    private var configuredSources: [Snapshot.Backend] {
        Snapshot.Backend.allCases.filter { freshness[$0]?.configured == true }
    }

    /// Every configured source once, concurrently (what `snapshot` and `health` print).
    public func pollOnce() async {
        await withTaskGroup(of: Void.self) { group in
            for source in configuredSources { group.addTask { await self.poll(source) } }
        }
    }

    /// Polls until the task is cancelled.
    public func run() async {
        let clock = config.clock
        await withTaskGroup(of: Void.self) { group in
            for source in configuredSources {
                group.addTask {
                    while !Task.isCancelled {
                        await self.poll(source)
                        await clock.sleep(for: await self.delay(for: source))
                    }
                }
            }
        }
    }

    /// The interval, or after failures a back-off that doubles up to 10 s.
    public func delay(for source: Snapshot.Backend) -> Duration {
        let base = source == .kubernetes ? config.kubeInterval : config.interval
        let count = failures[source] ?? 0
        guard count > 0 else { return base }
        return min(base * (1 << min(count, 16)), max(base, Self.maxBackoff))
    }

    /// Fills the sparklines with the last minutes of Prometheus data.
    public func backfill(span: Duration = .seconds(120)) async {
        guard let prometheus = config.prometheus else { return }
        // The dashboard back-fills before its first poll: auto decides here then.
        if config.profile == .auto, autoChosen == nil {
            autoChosen = try? await Self.decide(prometheus)
            if let autoChosen { profileStatus.active = autoChosen }
        }
        guard let name = config.profile.fixed ?? autoChosen else { return }
        let collector = MeshCollector(client: prometheus, profile: profile(name))
        let step = config.interval < .seconds(1) ? Duration.seconds(1) : config.interval
        if let past = try? await collector.backfill(span: span, step: step, now: config.clock.now()) {
            for (key, points) in past.series {
                for point in points { history.append(key, time: point.time, rps: point.rps, p99: point.p99) }
            }
        }
    }

    /// Another window or reporter (the dashboard's `w` and `r`): the edges and their
    /// history start again from Prometheus's answer for the new query.
    public func retune(window: String, reporter: IstioQueries.Reporter) async {
        config.queries = IstioQueries(window: window, reporter: reporter, overrides: config.queries.overrides)
        config.envoyQueries = EnvoyQueries(window: window, overrides: config.envoyQueries.overrides)
        await restart()
    }

    /// Another profile (the dashboard's `P`): auto decides again, the edges start again.
    public func choose(profile choice: MetricsProfile.Choice) async {
        config.profile = choice
        autoChosen = nil
        profileStatus = ProfileStatus(choice: choice)
        await restart()
    }

    /// A replay jumped back: the edges and their history start again from the answers
    /// recorded by the new time.
    public func startAgain() async {
        await restart()
        await pollOnceIfConfigured(.etcd)
        await pollOnceIfConfigured(.service)
    }

    private func restart() async {
        edges = []
        countMark = nil
        requestCounts = nil
        history = MeshHistory()
        observer?(snapshot())
        await pollOnceIfConfigured(.prometheus)
        await backfill()
    }

    private func pollOnceIfConfigured(_ source: Snapshot.Backend) async {
        if freshness[source]?.configured == true { await poll(source) }
    }

    public func snapshot() -> Snapshot {
        var health: [HealthCheck] = []
        health += HealthEvaluator.prometheus(
            config.prometheus == nil ? nil : prometheusFacts ?? HealthEvaluator.PrometheusFacts(notReady: "no answer yet"),
            thresholds: config.thresholds)
        health += HealthEvaluator.etcd(
            etcdView, error: freshness[.etcd]?.error, configured: config.etcdConfigured, thresholds: config.thresholds)
        health += HealthEvaluator.service(config.service == nil ? nil : serviceFacts ?? .init(problem: "no answer yet", latency: nil))
        health += config.kube == nil ? [HealthCheck("kubernetes", .skipped, config.kubeSkipped)] : kubeChecks
        return Snapshot(
            time: config.clock.now(), backends: freshness, edges: edges, history: history, prometheusWarnings: warnings, etcd: etcdView,
            health: health, profile: profileStatus, requestCounts: requestCounts)
    }

    // MARK: one source

    private func poll(_ source: Snapshot.Backend) async {
        let clock = ContinuousClock()
        let start = clock.now
        let attempted = config.clock.now()
        let error: String?
        switch source {
        case .prometheus: error = await pollPrometheus()
        case .etcd: error = await pollEtcd()
        case .service: error = await pollService()
        case .kubernetes: error = await pollKube()
        }
        var state = freshness[source] ?? BackendFreshness(configured: true)
        state.lastAttempt = attempted
        state.latency = clock.now - start
        state.ok = error == nil
        state.error = error
        if error == nil {
            state.lastSuccess = config.clock.now()
            failures[source] = 0
        } else {
            failures[source, default: 0] += 1
        }
        freshness[source] = state
        observer?(snapshot())
    }

    private func pollPrometheus() async -> String? {
        guard let prometheus = config.prometheus else { return nil }
        let clock = ContinuousClock()
        let start = clock.now
        // The backend decides how readiness is asked and whether it has targets; a backend
        // does not change under a URL, so it is found once.
        if prometheusKind == nil { prometheusKind = await prometheus.detectKind() }
        let kind = prometheusKind
        // Scrape targets change on Prometheus's scrape interval, not every second: they are
        // asked on the first poll and every `targetsEvery`-th after it (and after a failure).
        let askTargets =
            (kind ?? .prometheus).hasTargets && !noTargetsAPI
            && (prometheusPolls % Self.targetsEvery == 0 || prometheusFacts?.targets == nil)
        prometheusPolls += 1
        // Readiness, targets and the queries go out together: one poll costs the slowest of them.
        async let ready = prometheus.notReadyReason(kind: kind ?? .prometheus)
        async let targets: (up: Int, total: Int)? = askTargets ? prometheus.targets() : nil
        async let round = traffic(prometheus)
        // The counters for the ledger, with the profile known before this round (auto's
        // first round decides it: then they are read after it).
        let known = config.profile.fixed ?? autoChosen
        async let counted: Void = countRequests(prometheus, profile: known)
        let notReady = await ready
        await counted
        var facts = HealthEvaluator.PrometheusFacts(notReady: notReady, readyLatency: clock.now - start, window: config.queries.window)
        facts.kind = kind
        do {
            let (edges, warnings) = try await round
            self.edges = edges
            self.warnings = warnings
            history.record(edges, at: config.clock.now().timeIntervalSince1970)
            facts.edges = edges
            facts.noSeries = profileStatus.noSeries
            facts.warnings = warnings
        } catch {
            facts.queryError = (error as? PrometheusError)?.message ?? "\(error)"
        }
        if known == nil, let decided = autoChosen { await countRequests(prometheus, profile: decided) }
        do {
            let answer = try await targets
            if askTargets, answer == nil { noTargetsAPI = true }
            facts.targets = answer ?? (noTargetsAPI ? nil : prometheusFacts?.targets)
        } catch {
            facts.targetsError = "targets: \(error)"
        }
        facts.noTargetsAPI = noTargetsAPI
        prometheusFacts = facts
        return notReady ?? facts.queryError
    }

    /// The ledger's metrics: the counters now minus the counters at the mark, read at the
    /// first poll (or at `countsSince`, Prometheus's value then). A failed read keeps the last counts.
    private func countRequests(_ prometheus: PrometheusClient, profile name: MetricsProfile.Name?) async {
        guard let name else { return }
        let query = RequestCounts.query(name)
        if countMark?.profile != name {
            let since = config.countsSince ?? config.clock.now()
            guard let answer = try? await prometheus.query(query, at: config.countsSince) else { return }
            countMark = (name, RequestCounts.totals(from: answer, profile: name), since)
            if config.countsSince == nil {
                requestCounts = RequestCounts(since: since)
                return
            }
        }
        guard let mark = countMark, let answer = try? await prometheus.query(query) else { return }
        requestCounts = RequestCounts.between(mark.totals, RequestCounts.totals(from: answer, profile: name), since: mark.since)
    }

    private func profile(_ name: MetricsProfile.Name) -> MetricsProfile {
        switch name {
        case .istio: .istio(config.queries, grpcFailures: config.grpcFailures)
        case .envoy: .envoy(config.envoyQueries)
        }
    }

    /// auto's rule: the profile whose series Prometheus has, istio when both are there
    /// (istio-proxy has both, and Istio's metrics know both ends of an edge).
    static func decide(_ prometheus: PrometheusClient) async throws -> MetricsProfile.Name? {
        let collector = MeshCollector(client: prometheus)
        async let istio = collector.hasSeries(.istio)
        async let envoy = collector.hasSeries(.envoy)
        if try await istio { return .istio }
        return try await envoy ? .envoy : nil
    }

    /// One round of the profile in use. A round without a single series asks whether the
    /// profile's metric is there at all: if not, the snapshot says so, and auto decides again.
    private func traffic(_ prometheus: PrometheusClient) async throws -> (edges: [EdgeStats], warnings: [String]) {
        let choice = config.profile
        var name = choice.fixed ?? autoChosen
        var decided = false
        if name == nil {
            name = try await Self.decide(prometheus)
            decided = true
        }
        while true {
            guard let current = name else {
                autoChosen = nil
                profileStatus = ProfileStatus(choice: choice, noSeries: MetricsProfile.Choice.noSeries)
                return ([], [])
            }
            let collector = MeshCollector(client: prometheus, profile: profile(current))
            let round = try await collector.poll()
            guard config.profile == choice else { return ([], []) }
            var noSeries: String?
            if round.empty, try await !collector.hasSeries(current) {
                if choice == .auto, !decided {
                    // The chosen profile's series are gone: the other one may be there.
                    name = try await Self.decide(prometheus)
                    decided = true
                    continue
                }
                noSeries = choice == .auto ? MetricsProfile.Choice.noSeries : current.noSeries
            }
            if choice == .auto { autoChosen = noSeries == nil ? current : nil }
            profileStatus = ProfileStatus(choice: choice, active: noSeries == nil || choice != .auto ? current : nil, noSeries: noSeries)
            return (round.edges, round.warnings)
        }
    }

    private func pollEtcd() async -> String? {
        guard let probe = config.etcd else { return nil }
        let observation = await probe.observe(clock: config.clock)
        etcdView = etcdTracker.update(observation)
        guard observation.members.contains(where: { $0.healthy == true }) else {
            return observation.memberListError ?? observation.members.first?.error ?? "no member answered"
        }
        return nil
    }

    private func pollService() async -> String? {
        guard let service = config.service else { return nil }
        do {
            let (response, latency) = try await service.send("GET", "/")
            let problem: String? =
                response.status != 200
                ? "GET / answered HTTP \(response.status)"
                : response.text.contains("liveliness") ? nil : "GET / did not answer with the liveness sentence"
            serviceFacts = .init(problem: problem, latency: latency)
            return problem
        } catch {
            serviceFacts = .init(problem: error.message, latency: nil)
            return error.message
        }
    }

    private func pollKube() async -> String? {
        guard let kube = config.kube else { return nil }
        kubeChecks = await kube.checks()
        return kubeChecks.first { $0.status == .skipped }?.message
    }
}
