import Collectors
import Foundation
import Synchronization

/// `meshtop --load URL`: the load generator on a thread of its own, posting its progress
/// for the Load panel and, when no log is tailed, its client-side lines for the Requests panel.
final class LoadMonitor: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let plan: LoadPlan
    private let events: EventQueue

    init(plan: LoadPlan, events: EventQueue) {
        self.plan = plan
        self.events = events
    }

    /// What the panel shows before the first progress.
    var initialStatus: LoadStatus { status(requests: 0, errors: 0, elapsed: .zero, rate: 0, p50: nil, p99: nil, done: false) }

    func stop() { stopping.store(true, ordering: .relaxed) }

    /// Starts sending; with `postsLines` every client line is paired and posted as well.
    func start(postsLines: Bool) throws {
        let lines = PairedLines()
        var sink: (@Sendable (AccessLogRecord, String) -> Void)?
        if postsLines {
            sink = { record, text in
                lines.state.withLock { lines in lines.pairer.add(record, text: text, into: &lines.batch.events) }
            }
        }
        let engine = try LoadEngine(plan: plan, sink: sink)
        nonisolated(unsafe) let owned = engine  // used by the load thread alone from here on
        let thread = Thread { [self] in
            func post(_ status: LoadStatus) {
                events.post(.load(status))
                let batch = lines.state.withLock { lines in
                    defer { lines.batch.events = [] }
                    lines.batch.counts = lines.pairer.counts
                    return lines.batch
                }
                if !batch.events.isEmpty { events.post(.requests(batch)) }
            }
            let result = try? owned.run(stop: { self.stopping.load(ordering: .relaxed) }) { progress in
                post(status(requests: progress.requests, errors: progress.errors, elapsed: progress.elapsed, rate: progress.rate,
                            p50: progress.p50, p99: progress.p99, done: false))
            }
            if let result {
                post(status(requests: result.requests, errors: result.failedCount, elapsed: result.elapsed, rate: result.rate,
                            p50: result.milliseconds(atPercentile: 50), p99: result.milliseconds(atPercentile: 99), done: true))
            }
        }
        thread.name = "meshtop-load"
        thread.start()
    }

    private func status(requests: Int, errors: Int, elapsed: Duration, rate: Double, p50: Double?, p99: Double?, done: Bool) -> LoadStatus {
        LoadStatus(
            target: plan.url, targetRate: plan.rate, achievedRate: rate, requests: requests, errors: errors, p50: p50, p99: p99,
            elapsed: elapsed.inSeconds, remaining: plan.duration.map { max(0, $0.inSeconds - elapsed.inSeconds) }, done: done)
    }
}

/// The load's client lines between two progress reports: filled by the engine's sink and
/// emptied at each progress, both on the load thread.
private final class PairedLines: Sendable {
    let state = Mutex((pairer: RequestPairer(maxOpenIDs: LogTail.maxOpenIDs, reportsWaiting: true), batch: RequestBatch()))
}
