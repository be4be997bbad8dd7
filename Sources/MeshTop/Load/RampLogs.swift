import Collectors
import Foundation
import Synchronization

/// The proxies' access logs of a ramp (`load --ramp --logs SOURCE…`): followed while the ramp
/// runs, as the dashboard follows them (files from their end like `tail -F`, stdin, `k8s:`
/// pods), the lines kept in memory up to `maxBytes`; after the ramp, paired with the load's
/// own lines and split hop by hop (`HopTimes`), one `HopTable` a step by each request's
/// start time.
///
/// A step's figures need every line of its requests, which proxies write when a request
/// ends and flush on their own schedule: `settle` waits for the logs to go quiet first.
final class RampLogs: Sendable {
    /// What the reader thread and the load's thread hand over; read once, by `steps`.
    private struct Kept {
        var records: [AccessLogRecord] = []
        var bytes = 0
        var truncated = false
        /// When a proxy's line last came.
        var lastLine = ContinuousClock.now
        /// What went wrong with an input (a `kubectl logs` that ended), said once the ramp is over.
        var notes: [String] = []
        var malformed = 0
    }

    static let maxBytes = 512 << 20
    private let kept = Mutex(Kept())
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens every source (an error for the first that cannot be opened) and starts following.
    init(sources: [String], format: AccessLogDecoder.Choice, context: String?) throws(LogSourceError) {
        // A pipe has no end to start from: only files are read from where they end now.
        let inputs = try LogInputs(sources: sources, fromStart: false, format: format, context: context)
        nonisolated(unsafe) let owned = inputs  // read by the thread alone from here on
        let thread = Thread { [self] in self.read(owned) }
        thread.name = "meshtop-ramp-logs"
        thread.start()
    }

    private func read(_ inputs: LogInputs) {
        defer {
            inputs.stop()
            finished.signal()
        }
        while !stopping.load(ordering: .relaxed) {
            var batch: [AccessLogRecord] = []
            let read = inputs.read { bytes, source, decoder in
                guard var record = decoder.decode(bytes: bytes) else { return }
                record.origin = source
                batch.append(record)
            }
            let failures = read.notes.compactMap { note -> String? in
                if case .failed(let message) = note { return message }
                return nil
            }
            let malformed = inputs.malformed
            kept.withLock { kept in
                for record in batch { Self.keep(record, in: &kept) }
                if read.lines > 0 { kept.lastLine = .now }
                kept.notes = Array((kept.notes + failures).suffix(5))
                kept.malformed = malformed
            }
            if read.lines == 0 { inputs.wait(upTo: .milliseconds(200)) }
        }
    }

    /// Keeps one of the load's own lines, to pair with the first proxy's.
    func keep(_ record: AccessLogRecord) {
        kept.withLock { Self.keep(record, in: &$0) }
    }

    private static func keep(_ record: AccessLogRecord, in kept: inout Kept) {
        guard kept.bytes + record.pairingBytes <= maxBytes else {
            kept.truncated = true
            return
        }
        kept.bytes += record.pairingBytes
        kept.records.append(record)
    }

    /// Waits until no proxy has logged a line for `quiet` (they have flushed the ramp's last
    /// lines), `limit` at most.
    func settle(quiet: Duration, limit: Duration = .seconds(30)) {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline, clock.now - kept.withLock({ $0.lastLine }) < quiet {
            Thread.sleep(forTimeInterval: 0.1)  // the reader stamps each batch; nothing to wait on
        }
    }

    /// Stops following and, per step, the requests that started in it: step i runs from
    /// `starts[i]` to the next step's start (the last to `end`), in milliseconds since 1970;
    /// their hops (`tables`), and their lines counted for the step's telemetry ledger
    /// (`ledgers`, with `loadAuthority` where the load sends). `truncated` says whether the
    /// byte bound left lines out; `notes`, what went wrong with an input.
    func steps(
        starts: [Int64], end: Int64, loadAuthority: String
    ) -> (tables: [HopTable], ledgers: [LedgerLines], truncated: Bool, malformed: Int, notes: [String]) {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        var taken = kept.withLock { kept in
            defer { kept.records = [] }
            return kept
        }
        // One log-time order across the inputs and the load, as `logs` merges them.
        taken.records.sort { ($0.pairingTime ?? 0) < ($1.pairingTime ?? 0) }
        var pairer = RequestPairer(window: .seconds(10), chainsOfOne: true)
        var tables = [HopTable](repeating: HopTable(), count: starts.count)
        var ledgers = [LedgerLines](repeating: LedgerLines(loadAuthority: loadAuthority), count: starts.count)
        func step(_ time: Int64?) -> Int? {
            guard let time, time >= (starts.first ?? .max), time <= end else { return nil }
            return (starts.lastIndex { $0 <= time }) ?? 0
        }
        func take(_ events: [PairingEvent]) {
            for event in events {
                switch event {
                case .chain(let chain):
                    if let index = step(chain.hops.first?.client.pairingTime) { tables[index].add(HopTimes(chain.hops)) }
                case .paired(let pair):
                    if let index = step(pair.client.pairingTime) { ledgers[index].addPaired(pair) }
                case .waiting, .alone: break
                }
            }
        }
        for record in taken.records {
            if let index = step(record.pairingTime) { ledgers[index].add(record) }
            take(pairer.add(record))
        }
        take(pairer.flush())
        return (tables, ledgers, taken.truncated, taken.malformed, taken.notes)
    }
}
