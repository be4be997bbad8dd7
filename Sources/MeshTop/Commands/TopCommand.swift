import ArgumentParser
import Collectors
import Foundation

/// `meshtop` / `meshtop top`: the live dashboard.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "The live dashboard: Istio traffic per edge, etcd members, and access-log requests paired by x-request-id.",
        discussion: KeyBinding.summary)

    @OptionGroup var endpoints: EndpointOptions

    @Option(name: .customLong("logs"), help: "An access log to tail: a file, - for stdin, or k8s:[NAMESPACE/]SELECTOR (repeatable).")
    var logs: [String] = []

    @OptionGroup var logFormat: LogFormatOption

    @Flag(help: "Read --logs files from their start instead of their end.")
    var fromStart = false

    @OptionGroup var terminal: TerminalOptions

    @Option(help: "Send load to this URL from the dashboard (shaped by --rps, -c, -d, -X, -H, --body): a Load panel shows it, and its requests are paired.")
    var load: String?

    @OptionGroup(title: "With --load") var traffic: TrafficOptions

    @OptionGroup var recording: RecordOptions

    func validate() throws {
        for source in logs where source.hasPrefix("k8s:") && KubernetesSource.Target(source) == nil {
            throw ValidationError("'\(source)' is not k8s:[NAMESPACE/]SELECTOR")
        }
        if logs.filter({ $0 == "-" }).count > 1 { throw ValidationError("--logs - may be given once") }
        if let load {
            try traffic.validate(url: load, flag: "--load")
            if traffic.slo != nil, traffic.ramp == nil { throw ValidationError("--slo goes with --ramp in the dashboard: it marks the knee") }
        } else if traffic.isSet {
            throw ValidationError("--rps, -c, -d, -X, -H, --body, --ramp and --slo go with --load URL")
        }
    }

    func run() async throws {
        let choice = try logFormat.choice()
        let debug = try DebugLog(path: terminal.debugLog)
        let resolved = try endpoints.resolve()
        let recorder = try recording.writer(watched: resolved.watched(logs: logs, load: load))
        defer { recorder?.close() }
        let (config, forwards) = try resolved.open(tap: recorder?.exchangeTap)
        defer { forwards.forEach { $0.stop() } }
        recorder?.addSources(config)

        let events = EventQueue()
        let plan = try load.map { try traffic.plan(url: $0, count: nil, duration: nil, timeout: .seconds(10), accessLog: nil) }
        // With --load and no --logs the Requests panel shows the load's own lines.
        let tail =
            logs.isEmpty
            ? nil
            : LogTail(
                sources: logs.map { $0 == "-" ? "/dev/stdin" : $0 }, format: choice, context: endpoints.context,
                namespace: endpoints.namespace, events: events, loadAuthority: plan?.authority, recorder: recorder)
        try tail?.start(fromStart: fromStart || logs.contains("-"))
        defer { tail?.stop() }
        var monitor: LoadMonitor?
        if let plan {
            monitor = LoadMonitor(plan: plan, events: events, recorder: recorder)
            do {
                // With the proxies' lines tailed, the load's own lines join them in one pairer:
                // the load's hop to the first proxy, and its queue, in the chain.
                let (ramp, slo) = try traffic.steps()
                try monitor?.start(postsLines: logs.isEmpty, into: tail, ramp: ramp, slo: slo)
            } catch {
                throw ValidationError("--load: \(error)")
            }
        }
        defer { monitor?.stop() }

        let poller = Poller(config)
        await poller.observe { events.post(.snapshot($0)) }
        let polling = Task {
            await poller.backfill()
            await poller.run()
        }
        defer { polling.cancel() }
        var model = ScreenModel(snapshot: await poller.snapshot(), now: Date())
        model.logSources = load == nil ? logs : logs + [LoadMonitor.source]
        if tail != nil || load != nil { model.requests = RequestFeed() }
        model.load = monitor?.initialStatus
        model.loadAuthority = plan?.authority
        if tail != nil { model.ledgerLines = LedgerLines(loadAuthority: plan?.authority) }
        model.context = endpoints.context
        model.namespace = endpoints.namespace
        model.interval = config.interval
        model.thresholds = config.thresholds
        model.tracing = resolved.tracingURL
        StopSignal.install()
        let dashboard = Dashboard(
            poller: poller, queries: config.queries, profile: config.profile, scope: endpoints.namespace, events: events, model: model, color: terminal.color, debug: debug)
        do {
            try await dashboard.run()
        } catch {
            // The terminal is restored by now: the error can be printed.
            Stderr.line("meshtop: \(error)")
            throw ExitCode(1)
        }
    }
}
