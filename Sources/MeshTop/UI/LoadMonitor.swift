import Collectors
import Foundation
import Synchronization

/// `meshtop --load URL`: the load generator on a thread of its own, its progress handed to
/// the dashboard's Load panel and its client-side lines to the Requests panel's pairing.
final class LoadMonitor: Sendable {
    private let state: Mutex<(status: LoadStatus, generation: Int)>
    private let stopping = Atomic<Bool>(false)
    private let plan: LoadPlan

    init(plan: LoadPlan) {
        self.plan = plan
        let status = LoadStatus(
            target: plan.url, targetRate: plan.rate, achievedRate: 0, requests: 0, errors: 0, elapsed: 0,
            remaining: plan.duration.map(Self.seconds))
        state = Mutex((status: status, generation: 0))
    }

    var generation: Int { state.withLock { $0.generation } }
    var status: LoadStatus { state.withLock { $0.status } }

    func stop() { stopping.store(true, ordering: .relaxed) }

    /// Starts sending; `tail` (when there is one) hears every client line.
    func start(tail: LogTail?) throws {
        var sink: (@Sendable (AccessLogRecord, String) -> Void)?
        if let tail { sink = { record, line in tail.add(record, line: line) } }
        let engine = try LoadEngine(plan: plan, sink: sink)
        nonisolated(unsafe) let owned = engine  // used by the load thread alone from here on
        let thread = Thread { [self] in
            let result = try? owned.run(stop: { self.stopping.load(ordering: .relaxed) }) { progress in
                self.update(requests: progress.requests, errors: progress.errors, elapsed: progress.elapsed, rate: progress.rate,
                            p50: progress.p50, p99: progress.p99, done: false)
            }
            if let result {
                self.update(requests: result.requests, errors: result.failedCount, elapsed: result.elapsed, rate: result.rate,
                            p50: result.milliseconds(atPercentile: 50), p99: result.milliseconds(atPercentile: 99), done: true)
            }
        }
        thread.name = "meshtop-load"
        thread.start()
    }

    private func update(requests: Int, errors: Int, elapsed: Duration, rate: Double, p50: Double?, p99: Double?, done: Bool) {
        state.withLock { state in
            state.status.requests = requests
            state.status.errors = errors
            state.status.elapsed = Self.seconds(elapsed)
            state.status.achievedRate = rate
            state.status.p50 = p50
            state.status.p99 = p99
            state.status.done = done
            state.status.remaining = plan.duration.map { max(0, Self.seconds($0) - Self.seconds(elapsed)) }
            state.generation += 1
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }
}
