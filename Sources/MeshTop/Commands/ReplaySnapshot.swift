import ArgumentParser
import Collectors
import Foundation

/// `snapshot --from FILE [--at TIME]`: the recorded run as meshtop saw it at one moment,
/// through the same poller and collectors: every client is answered from the recording
/// (`ExchangeReplay`) and the poller's clock is the recording's (`SteppedClock`).
struct ReplaySnapshot {
    let path: String
    /// Where the live run's sources were: the recording's `sources` frame.
    private(set) var urls: [String: String] = [:]
    private(set) var started: Int64 = 0
    private(set) var ended: Int64 = 0

    init(path: String) throws {
        self.path = path
        let reader: RecordingReader
        do { reader = try RecordingReader(path: path) } catch { throw ValidationError("--from \(error.description)") }
        started = reader.started
        ended = reader.started
        while let frame = reader.next() {
            ended = max(ended, frame.time)
            if frame.kind == RecordingFrame.Kind.sources.rawValue, urls.isEmpty {
                for field in frame.fields {
                    let text = String(decoding: field, as: UTF8.self)
                    guard let equals = text.firstIndex(of: "=") else { continue }
                    urls[String(text[..<equals])] = String(text[text.index(after: equals)...])
                }
            }
        }
        if urls.isEmpty { throw ValidationError("--from \(path): the recording names no sources (nothing was polled)") }
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

    /// Polls `polls` times, `interval` of recorded time apart, the last at `time`.
    func snapshot(at time: Int64, polls: Int, endpoints flags: Endpoints) async throws -> Snapshot {
        var endpoints = flags
        endpoints.prometheus = urls["prometheus"].map { .url($0) } ?? .url("")
        endpoints.etcd = urls["etcd"].map { $0.split(separator: ",").map { .url(String($0)) } } ?? []
        endpoints.service = urls["service"]
        if urls["prometheus"] == nil { endpoints.prometheus = .forwardWithContext(Endpoints.istioPrometheus) }
        let reader: RecordingReader
        do { reader = try RecordingReader(path: path) } catch { throw ValidationError("--from \(error.description)") }
        let replay = ExchangeReplay(reader: reader)
        let step = endpoints.interval.wholeMilliseconds
        let first = time - Int64(polls - 1) * step
        let clock = SteppedClock(Date(timeIntervalSince1970: Double(first) / 1_000))
        var (config, _) = try endpoints.open(replay: replay)
        config.clock = clock
        config.kube = nil
        config.kubeSkipped = "replayed from a recording"
        let poller = Poller(config)
        for round in 0..<polls {
            replay.advance(to: first + Int64(round) * step)
            await poller.pollOnce()
            if round < polls - 1 { await clock.sleep(for: endpoints.interval) }
        }
        return await poller.snapshot()
    }
}
