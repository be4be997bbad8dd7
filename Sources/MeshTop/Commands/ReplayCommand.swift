import ArgumentParser
import Collectors
import Foundation

/// `meshtop replay FILE`: the dashboard driven from a recording. The poller, its collectors
/// and every panel are the live dashboard's; only the clients' answers (`ExchangeReplay`), the
/// log lines (`ReplayFeed`) and the clock (`ReplayClock`) come from the file.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "The dashboard, driven from a recording (meshtop record, --record): play, pause, speed, jumps.",
        discussion: KeyBinding.replaySummary)

    @Argument(help: "The recording to play.")
    var file: String

    @Option(help: "Start at +DURATION from the recording's start, or a time (RFC 3339); default its start.")
    var at: String?

    @Option(help: "The speed to start at: 0.5, 1, 2, 4, 8 or 16.")
    var speed = 1.0

    @Flag(help: "Start paused.")
    var paused = false

    @OptionGroup var terminal: TerminalOptions

    @OptionGroup var endpoints: EndpointOptions
    @OptionGroup var logFormat: LogFormatOption

    func validate() throws {
        guard ReplayClock.speeds.contains(speed) else { throw ValidationError("--speed \(speed) is not one of 0.5, 1, 2, 4, 8, 16") }
    }

    func run() async throws {
        let choice = try logFormat.choice()
        let debug = try DebugLog(path: terminal.debugLog)
        let resolved = try endpoints.resolve()
        let recording = try ReplaySnapshot(path: file)
        let start = Date(timeIntervalSince1970: Double(recording.started) / 1_000)
        let end = Date(timeIntervalSince1970: Double(recording.ended) / 1_000)
        let from = try at.map { Date(timeIntervalSince1970: Double(try recording.moment($0)) / 1_000) }
        let clock = ReplayClock(start: start, end: end, at: from, speed: speed)
        if paused { clock.toggle() }

        let events = EventQueue()
        let loadAuthority = recording.loadAuthority
        let holder = PollerHolder()
        let feed: ReplayFeed
        do {
            feed = try ReplayFeed(path: file, clock: clock, events: events, format: choice, loadAuthority: loadAuthority) {
                holder.startAgain()
            }
        } catch {
            throw ValidationError("\(error.description)")
        }
        let config = try recording.config(replay: feed.exchanges, clock: clock, endpoints: resolved)
        let poller = Poller(config)
        holder.poller = poller
        await poller.observe { events.post(.snapshot($0)) }
        feed.start()
        defer { feed.stop() }
        let polling = Task { await poller.run() }
        defer { polling.cancel() }

        var model = ScreenModel(snapshot: await poller.snapshot(), now: clock.now())
        let logs = recording.watched["logs"].map { $0.split(separator: " ").map(String.init) } ?? []
        model.logSources = logs
        if !logs.isEmpty || loadAuthority != nil {
            model.requests = RequestFeed()
            model.ledgerLines = LedgerLines(loadAuthority: loadAuthority)
        }
        model.loadAuthority = loadAuthority
        model.interval = config.interval
        model.thresholds = config.thresholds
        model.tracing = resolved.tracingURL
        StopSignal.install()
        let dashboard = Dashboard(
            poller: poller, queries: config.queries, profile: config.profile, scope: endpoints.namespace, events: events, model: model,
            color: terminal.color, debug: debug, replay: clock)
        do {
            try await dashboard.run()
        } catch {
            Stderr.line("meshtop: \(error)")
            throw ExitCode(1)
        }
    }
}

/// The poller, once made, for the feed's "jumped back" (the feed is made first: the
/// poller's clients answer from it).
private final class PollerHolder: @unchecked Sendable {
    // Set once on the command's task before the feed starts; read on the feed's thread after.
    var poller: Poller?

    func startAgain() {
        guard let poller else { return }
        Task { await poller.startAgain() }
    }
}
