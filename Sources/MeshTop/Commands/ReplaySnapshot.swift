import ArgumentParser
import Collectors
import Foundation
import Synchronization

/// `snapshot --from FILE [--at TIME]`: the recorded run as meshtop saw it at one moment,
/// through the same poller and collectors: every client is answered from the recording
/// (`ExchangeReplay`) and the poller's clock is the recording's (`SteppedClock`).
struct ReplaySnapshot {
    let path: String
    /// Where the live run's sources were: the recording's `sources` frame.
    private(set) var urls: [String: String] = [:]
    private(set) var started: Int64 = 0
    private(set) var ended: Int64 = 0
    /// What the run watched, from the recording's header (`logs`, `load`, …).
    private(set) var watched: [String: String] = [:]
    /// When the first poll's answers were all in: the ledger's metrics count from there.
    private(set) var firstPolled: Int64?

    /// `flag` names the file in an error: `--from`, or `recording` for a command's argument.
    init(path: String, flag: String = "--from") throws {
        self.path = path
        let reader: RecordingReader
        do { reader = try RecordingReader(path: path) } catch { throw ValidationError("\(flag) \(error.description)") }
        started = reader.started
        ended = reader.started
        watched = reader.watched
        while let frame = reader.next() {
            ended = max(ended, frame.time)
            if firstPolled == nil, frame.kind == RecordingFrame.Kind.exchange.rawValue { firstPolled = frame.time + 1_000 }
            if frame.kind == RecordingFrame.Kind.sources.rawValue, urls.isEmpty {
                for field in frame.fields {
                    let text = String(decoding: field, as: UTF8.self)
                    guard let equals = text.firstIndex(of: "=") else { continue }
                    urls[String(text[..<equals])] = String(text[text.index(after: equals)...])
                }
            }
        }
        if urls.isEmpty { throw ValidationError("\(flag) \(path): the recording names no sources (nothing was polled)") }
    }

    /// `--at`: nil is the recording's end, `+5m` from its start, or a time (RFC 3339).
    func moment(_ at: String?) throws -> Int64 {
        guard let at else { return ended }
        if at.hasPrefix("+") {
            guard let offset = DurationText.parse(String(at.dropFirst())) else {
                throw ValidationError("--at '\(at)' is not +DURATION (from the recording's start) or a time")
            }
            return started + offset.wholeMilliseconds
        }
        guard let date = LedgerOptions.time(at) else {
            throw ValidationError("--at '\(at)' is not +DURATION (from the recording's start) or a time such as 2026-12-02T10:31:02Z")
        }
        return Int64(date.timeIntervalSince1970 * 1_000)
    }

    /// Polls `polls` times, `interval` of recorded time apart, the last at `time`; the
    /// recorded log lines up to then, for the ledger; and the load's last progress by then
    /// (the dashboard's --load), with a ramp's steps.
    func snapshot(at time: Int64, polls: Int, endpoints flags: Endpoints) async throws -> (Snapshot, LedgerLines, LoadStatus?) {
        let frames = Mutex<[RecordingFrame]>([])
        let replay = ExchangeReplay(reader: try reader(), onFrame: { frame in frames.withLock { $0.append(frame) } })
        let step = flags.interval.wholeMilliseconds
        let first = time - Int64(polls - 1) * step
        // A poll at the run's first answers sets the ledger's mark: its metrics count from
        // there, and so do its lines.
        let mark = min(first, firstPolled ?? first)
        let (poller, clock) = try poller(replay: replay, from: mark, endpoints: flags)
        var lines = RecordedLines(format: .auto, loadAuthority: loadAuthority, since: mark)
        if mark < first {
            replay.advance(to: mark)
            await poller.pollOnce()
            await clock.sleep(for: .milliseconds(first - mark))
        }
        var load: LoadStatus?
        for round in 0..<polls {
            replay.advance(to: first + Int64(round) * step)
            let taken = frames.withLock { taken in defer { taken.removeAll() }; return taken }
            lines.add(taken)
            if let status = taken.lazy.reversed().compactMap(LoadStatus.init(recorded:)).first { load = status }
            await poller.pollOnce()
            if round < polls - 1 { await clock.sleep(for: flags.interval) }
        }
        return (await poller.snapshot(), lines.finish().ledger, load)
    }

    /// `host:port` of the recorded load's URL, as its lines' `:authority` has it.
    var loadAuthority: String? {
        guard let url = watched["load"], let components = URLComponents(string: url), let host = components.host else { return nil }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    /// The whole run, polled every `interval` of recorded time from its start to its end, and
    /// its log lines paired into hops: what `meshtop diff` compares.
    func figures(endpoints flags: Endpoints, format: AccessLogDecoder.Choice = .auto) async throws -> RunFigures {
        try await run(endpoints: flags, format: format).figures
    }

    /// The whole run as `figures` reads it, and beside it what `meshtop report` draws: the
    /// polls over time, the slowest requests, the load's progress.
    func run(endpoints flags: Endpoints, format: AccessLogDecoder.Choice = .auto) async throws -> RecordedRun {
        let met = Mutex<[RecordingFrame]>([])
        let replay = ExchangeReplay(
            reader: try reader(),
            onFrame: { frame in
                if frame.kind == RecordingFrame.Kind.logLine.rawValue || frame.kind == RecordingFrame.Kind.load.rawValue {
                    met.withLock { $0.append(frame) }
                }
            })
        let step = flags.interval.wholeMilliseconds
        let (poller, clock) = try poller(replay: replay, from: started, endpoints: flags)
        var run = RecordedRun(
            path: path, figures: RunFigures(started: started, interval: flags.interval.inSeconds),
            timeline: RunTimeline(started: started, ended: ended, interval: flags.interval.inSeconds))
        run.figures.ended = ended
        var lines = RecordedLines(format: format, loadAuthority: loadAuthority)
        var time = started
        while true {
            replay.advance(to: time)
            let frames = met.withLock { taken in defer { taken.removeAll() }; return taken }
            lines.add(frames)
            for frame in frames {
                if let status = LoadStatus(recorded: frame) { run.addLoad(status, at: frame.time) }
            }
            await poller.pollOnce()
            let edges = await poller.snapshot().edges
            run.figures.add(edges)
            run.timeline.add(time: time, edges)
            guard time < ended else { break }
            time = min(ended, time + step)
            await clock.sleep(for: flags.interval)
        }
        let finished = lines.finish()
        run.figures.hops = finished.hops
        run.slowest = lines.slowest
        return run
    }

    private func reader() throws -> RecordingReader {
        do { return try RecordingReader(path: path) } catch { throw ValidationError("--from \(error.description)") }
    }

    /// A poller whose every client is answered by `replay` and whose clock is the recording's,
    /// starting at `from`.
    private func poller(replay: ExchangeReplay, from: Int64, endpoints flags: Endpoints) throws -> (Poller, SteppedClock) {
        let clock = SteppedClock(Date(timeIntervalSince1970: Double(from) / 1_000))
        return (Poller(try config(replay: replay, clock: clock, endpoints: flags)), clock)
    }

    /// The poller's configuration: the recorded URLs, every client answered by `replay`, on `clock`.
    func config(replay: ExchangeReplay, clock: any PollClock, endpoints flags: Endpoints) throws -> PollerConfig {
        var endpoints = flags
        endpoints.prometheus = urls["prometheus"].map { .url($0) } ?? .forwardWithContext(Endpoints.istioPrometheus)
        endpoints.etcd = urls["etcd"].map { $0.split(separator: ",").map { .url(String($0)) } } ?? []
        endpoints.service = urls["service"]
        var (config, _) = try endpoints.open(replay: replay)
        config.clock = clock
        config.kube = nil
        config.kubeSkipped = "replayed from a recording"
        return config
    }
}
