import ArgumentParser
import Collectors
import Foundation
import Synchronization

/// Reads the dashboard's `--logs` inputs on a thread of its own, pairs their lines, and
/// posts what the pairer reported as `.requests` batches. Files are followed like
/// `tail -F`, from their end; `k8s:` sources follow the matching pods' istio-proxy
/// containers.
final class LogTail: Sendable {
    /// The pairer's bounds here: the panel shows 1,000 rows, so 20,000 open ids is plenty.
    static let maxOpenIDs = 20_000

    private let events: EventQueue
    private let stopping = Atomic<Bool>(false)
    private let format: AccessLogDecoder.Choice
    private let context: String?
    private let namespace: String?
    let sources: [String]
    /// Where the dashboard's own load sends, so the ledger knows the first proxy's lines.
    private let loadAuthority: String?
    /// The load's own lines (`take`), paired with the proxies' here: one pairer sees both
    /// sides of the load's hop. Bounded: past `maxWaiting`, lines are counted and dropped.
    private let waiting = Mutex((lines: [(AccessLogRecord, String)](), dropped: 0))
    static let maxWaiting = 100_000

    /// Keeps every line as it came (`--record`).
    private let recorder: RecordingWriter?

    init(
        sources: [String], format: AccessLogDecoder.Choice, context: String?, namespace: String?, events: EventQueue,
        loadAuthority: String? = nil, recorder: RecordingWriter? = nil
    ) {
        self.sources = sources
        self.recorder = recorder
        self.loadAuthority = loadAuthority
        self.format = format
        self.context = context
        self.namespace = namespace
        self.events = events
    }

    /// Opens every input (an error for one that cannot be opened) and starts reading.
    func start(fromStart: Bool = false) throws {
        let inputs: LogInputs
        do {
            inputs = try LogInputs(sources: sources, fromStart: fromStart, format: format, context: context, namespace: namespace)
        } catch {
            throw ValidationError("--logs \(error.source): \(error.reason)")
        }
        // The inputs are used by this thread alone from here on.
        nonisolated(unsafe) let owned = inputs
        let thread = Thread { [self] in self.read(owned) }
        thread.name = "meshtop-logs"
        thread.start()
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    /// A line from outside the inputs (the dashboard's load), read with the next batch.
    func take(_ record: AccessLogRecord, text: String) {
        waiting.withLock { waiting in
            if waiting.lines.count < Self.maxWaiting { waiting.lines.append((record, text)) } else { waiting.dropped += 1 }
        }
    }

    private func read(_ inputs: LogInputs) {
        defer { inputs.stop() }
        var pairer = RequestPairer(maxOpenIDs: Self.maxOpenIDs, window: .seconds(60), reportsWaiting: true)
        var notes: [String] = []
        var ledger = LedgerLines(loadAuthority: loadAuthority)
        var dropped = 0
        while !stopping.load(ordering: .relaxed) {
            var batch = RequestBatch()
            func add(_ record: AccessLogRecord, _ text: String) {
                ledger.add(record)
                let before = batch.events.count
                pairer.add(record, text: text, into: &batch.events)
                ledger.addPaired(from: batch.events[before...])
            }
            let taken = waiting.withLock { waiting in
                defer { waiting.lines.removeAll(keepingCapacity: true) }
                return (lines: waiting.lines, dropped: waiting.dropped)
            }
            for (record, text) in taken.lines {
                recorder?.add(.logLine, [Array(LoadMonitor.source.utf8), Array(text.utf8)])
                add(record, text)
            }
            let read = inputs.read { bytes, source, decoder in
                recorder?.addLogLine(source: source, bytes)
                guard var record = decoder.decode(bytes: bytes) else { return }
                record.origin = source
                add(record, String(decoding: bytes, as: UTF8.self))
            }
            var newNotes = read.notes.map(\.text)
            if taken.dropped > dropped {
                newNotes.append("\(taken.dropped - dropped) of the load's lines dropped: the log reader fell behind")
                dropped = taken.dropped
            }
            notes = Array((notes + newNotes).suffix(5))
            let malformed = inputs.malformed
            if read.lines == 0, newNotes.isEmpty, taken.lines.isEmpty {
                // Nothing new: sleep until an input changes (a second at most, for changes
                // inotify cannot see).
                inputs.wait(upTo: .seconds(1))
                continue
            }
            batch.counts = pairer.counts
            batch.malformed = malformed
            batch.ledger = ledger
            batch.notes = notes
            events.post(.requests(batch))
        }
    }
}
