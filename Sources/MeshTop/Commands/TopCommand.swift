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
            s sort, w window, p pause, ? help.
            """)

    @OptionGroup var sources: SourceOptions

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

    func validate() throws {
        for source in logs where source.hasPrefix("k8s:") && KubernetesSource.Target(source) == nil {
            throw ValidationError("'\(source)' is not k8s:[NAMESPACE/]SELECTOR")
        }
        if logs.filter({ $0 == "-" }).count > 1 { throw ValidationError("--logs - may be given once") }
    }

    func run() async throws {
        let choice: AccessLogDecoder.Choice
        do {
            choice = try AccessLogDecoder.choice(for: format)
        } catch {
            throw ValidationError("--format: \(error)")
        }
        let debug = try DebugLog(path: debugLog)
        let (config, forwards) = try sources.pollerConfig()
        defer { forwards.forEach { $0.stop() } }

        let tail = logs.isEmpty ? nil : LogTail(sources: logs.map { $0 == "-" ? "/dev/stdin" : $0 }, format: choice, context: sources.context, namespace: sources.namespace)
        try tail?.start(fromStart: fromStart || logs.contains("-"))
        defer { tail?.stop() }

        let poller = Poller(config)
        let live = LiveSnapshot()
        await LiveSnapshot.follow(poller, into: live)
        let polling = Task {
            await poller.backfill()
            await poller.run()
        }
        defer { polling.cancel() }
        var model = ScreenModel(snapshot: await poller.snapshot(), now: Date())
        model.logSources = logs
        model.context = sources.context
        model.namespace = sources.namespace
        model.interval = config.interval
        model.thresholds = config.thresholds
        let color = !noColor && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        StopSignal.install()
        let dashboard = Dashboard(poller: poller, queries: config.queries, live: live, tail: tail, model: model, color: color, debug: debug)
        do {
            try await dashboard.run()
        } catch {
            // The terminal is restored by now: the error can be printed.
            FileHandle.standardError.write(Data("meshtop: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
