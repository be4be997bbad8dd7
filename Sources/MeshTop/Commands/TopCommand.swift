import ArgumentParser
import Collectors
import Foundation

/// `meshtop` / `meshtop top`: the live dashboard.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "The live dashboard: Istio traffic per edge, etcd members, and access-log requests paired by x-request-id.",
        discussion: """
            Keys: q quit, Tab panel, arrows scroll, Enter details, / filter, e errors only, r reporter, \
            P profile (istio, envoy, auto), s sort, w window, p pause, ? help.
            """)

    @OptionGroup var sources: EndpointOptions

    @Option(name: .customLong("logs"), help: "An access log to tail: a file, - for stdin, or k8s:[NAMESPACE/]SELECTOR (repeatable).")
    var logs: [String] = []

    @Option(help: "Access-log format: auto, a built-in format name, json, or an Envoy format string.")
    var format = "auto"

    @Flag(help: "Read --logs files from their start instead of their end.")
    var fromStart = false

    @Flag(help: "No colours (also NO_COLOR): bold, reverse and underline carry the meaning.")
    var noColor = false

    @Option(help: "Write diagnostics to this file (nothing is printed while the dashboard runs).")
    var debugLog: String?

    @Option(help: "Send load to this URL from the dashboard: a Load panel shows it, and its requests are paired.")
    var load: String?

    @Option(parsing: .unconditional, help: "With --load: requests per second on a fixed schedule (default: as fast as -c connections go).")
    var rps: Double?

    @Option(name: .customShort("c"), help: "With --load: connections.")
    var concurrency = 10

    @Option(name: .customShort("d"), help: "With --load: stop the load after this long (default: when meshtop quits).")
    var duration: String?

    @Option(name: .customShort("X"), help: "With --load: method.")
    var method = "GET"

    @Option(name: .customShort("H"), help: "With --load: a header 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(help: "With --load: request body, text or @FILE.")
    var body: String?

    func validate() throws {
        for source in logs where source.hasPrefix("k8s:") && KubernetesSource.Target(source) == nil {
            throw ValidationError("'\(source)' is not k8s:[NAMESPACE/]SELECTOR")
        }
        if logs.filter({ $0 == "-" }).count > 1 { throw ValidationError("--logs - may be given once") }
        if let load {
            try LoadCommand.validate(
                url: load, rate: rps, concurrency: concurrency, duration: duration, headers: header, method: method, flag: "--load")
        } else if rps != nil || duration != nil || body != nil || !header.isEmpty {
            throw ValidationError("--rps, -d, -H and --body go with --load URL")
        }
    }

    func run() async throws {
        let choice: AccessLogDecoder.Choice
        do {
            choice = try AccessLogDecoder.choice(for: format)
        } catch {
            throw ValidationError("--format: \(error)")
        }
        let debug = try DebugLog(path: debugLog)
        let (config, forwards) = try sources.resolve().open()
        defer { forwards.forEach { $0.stop() } }

        // With --load and no --logs the Requests panel shows the load's own lines.
        let tail =
            logs.isEmpty && load == nil
            ? nil
            : LogTail(
                sources: logs.map { $0 == "-" ? "/dev/stdin" : $0 }, format: choice, context: sources.context,
                namespace: sources.namespace)
        try tail?.start(fromStart: fromStart || logs.contains("-"))
        defer { tail?.stop() }
        var monitor: LoadMonitor?
        if let load {
            let plan = try LoadCommand.plan(
                url: load, method: method, headers: header, body: body, rate: rps, concurrency: concurrency, count: nil,
                duration: duration.flatMap(DurationText.parse), timeout: .seconds(10), accessLog: nil)
            monitor = LoadMonitor(plan: plan)
            do {
                // The load's own lines fill the Requests panel only when no log is tailed: with
                // the proxies' lines there, the load's line would be a second client side of
                // the gateway's hop (an ingress gateway writes one outbound line, no inbound).
                try monitor?.start(tail: logs.isEmpty ? tail : nil)
            } catch {
                throw ValidationError("--load: \(error)")
            }
        }
        defer { monitor?.stop() }

        let poller = Poller(config)
        let live = LiveSnapshot()
        await LiveSnapshot.follow(poller, into: live)
        let polling = Task {
            await poller.backfill()
            await poller.run()
        }
        defer { polling.cancel() }
        var model = ScreenModel(snapshot: await poller.snapshot(), now: Date())
        model.logSources = logs.isEmpty && load != nil ? ["meshtop load"] : logs
        model.load = monitor?.status
        model.context = sources.context
        model.namespace = sources.namespace
        model.interval = config.interval
        model.thresholds = config.thresholds
        let color = !noColor && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        StopSignal.install()
        let dashboard = Dashboard(
            poller: poller, queries: config.queries, profile: config.profile, live: live, tail: tail, load: monitor, model: model, color: color, debug: debug)
        do {
            try await dashboard.run()
        } catch {
            // The terminal is restored by now: the error can be printed.
            Stderr.line("meshtop: \(error)")
            throw ExitCode(1)
        }
    }
}
