import Collectors
import Foundation
import Synchronization

/// `meshtop replay`'s reader: on a thread of its own it reads the recording up to the replay
/// clock's time, so that the poller's clients get the answers recorded by then
/// (`ExchangeReplay`), and it pairs the recorded log lines and posts them as `.requests`
/// batches, and the load's progress as `.load`, as `LogTail` and `LoadMonitor` do live. A jump
/// back reads the file again from its start (a recording is read forward only) and starts the
/// requests, the ledger and the poller's edges again.
final class ReplayFeed: Sendable {
    private let path: String
    private let replay: ExchangeReplay
    private let clock: ReplayClock
    private let events: EventQueue
    private let loadAuthority: String?
    private let format: AccessLogDecoder.Choice
    private let stopping = Atomic<Bool>(false)
    /// Frames `replay` met while advancing: taken by the reading thread right after.
    private let met = MetFrames()
    /// Called after a jump back, for the poller to forget what it had.
    private let rewound: @Sendable () -> Void

    init(
        path: String, clock: ReplayClock, events: EventQueue, format: AccessLogDecoder.Choice, loadAuthority: String?,
        rewound: @escaping @Sendable () -> Void
    ) throws(RecordingError) {
        self.path = path
        self.clock = clock
        self.events = events
        self.format = format
        self.loadAuthority = loadAuthority
        self.rewound = rewound
        let met = self.met
        replay = ExchangeReplay(reader: try RecordingReader(path: path), now: { Int64(clock.now().timeIntervalSince1970 * 1_000) }) { frame in
            guard frame.kind == RecordingFrame.Kind.logLine.rawValue || frame.kind == RecordingFrame.Kind.load.rawValue else { return }
            met.frames.withLock { $0.append(frame) }
        }
    }

    /// The answers the poller's clients get.
    var exchanges: ExchangeReplay { replay }

    func start() {
        let thread = Thread { [self] in self.read() }
        thread.name = "meshtop-replay"
        thread.start()
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    private func read() {
        var pairer = RequestPairer(maxOpenIDs: LogTail.maxOpenIDs, window: .seconds(60), reportsWaiting: true)
        var ledger = LedgerLines(loadAuthority: loadAuthority)
        var decoders: [String: AccessLogDecoder] = [:]
        var jumps = clock.jumps
        var reset = false
        while !stopping.load(ordering: .relaxed) {
            let now = Int64(clock.now().timeIntervalSince1970 * 1_000)
            if clock.jumps != jumps {
                jumps = clock.jumps
                if now < replay.time, let reader = try? RecordingReader(path: path) {
                    replay.rewind(to: reader)
                    met.frames.withLock { $0.removeAll() }
                    pairer = RequestPairer(maxOpenIDs: LogTail.maxOpenIDs, window: .seconds(60), reportsWaiting: true)
                    ledger = LedgerLines(loadAuthority: loadAuthority)
                    decoders = [:]
                    reset = true
                    rewound()
                }
            }
            replay.advance(to: now)
            let frames = met.frames.withLock { frames in
                defer { frames.removeAll(keepingCapacity: true) }
                return frames
            }
            var batch = RequestBatch()
            var lines = 0
            for frame in frames where frame.fields.count >= 1 {
                if frame.kind == RecordingFrame.Kind.load.rawValue {
                    if let status = LoadStatus(recorded: frame) { events.post(.load(status)) }
                    continue
                }
                guard frame.fields.count >= 2 else { continue }
                let source = frame.text(0)
                var decoder = decoders.removeValue(forKey: source) ?? AccessLogDecoder(format)
                let record = frame.fields[1].withUnsafeBufferPointer { decoder.decode(bytes: $0) }
                decoders[source] = decoder
                lines += 1
                guard var record else { continue }
                record.origin = source
                ledger.add(record)
                let before = batch.events.count
                pairer.add(record, text: frame.text(1), into: &batch.events)
                ledger.addPaired(from: batch.events[before...])
            }
            if lines > 0 || reset {
                batch.counts = pairer.counts
                batch.malformed = decoders.values.reduce(0) { $0 + $1.malformed }
                batch.ledger = ledger
                batch.reset = reset
                reset = false
                events.post(.requests(batch))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

/// Frames met while the replay advanced, between `ExchangeReplay`'s callback and the feed.
private final class MetFrames: Sendable {
    let frames = Mutex<[RecordingFrame]>([])
}
