import Collectors
import Foundation
import Synchronization

/// `meshtop --load URL`: the load generator on a thread of its own, posting its progress
/// for the Load panel, and its client-side lines for the Requests panel: paired here when no
/// log is tailed, else by the log reader with the proxies' lines.
final class LoadMonitor: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let plan: LoadPlan
    private let events: EventQueue
    private let recorder: RecordingWriter?
    /// The source name of the load's own lines (the Requests panel's, a recording's).
    static let source = "meshtop load"

    init(plan: LoadPlan, events: EventQueue, recorder: RecordingWriter? = nil) {
        self.plan = plan
        self.events = events
        self.recorder = recorder
    }

    /// What the panel shows before the first progress.
    var initialStatus: LoadStatus { status(requests: 0, errors: 0, elapsed: .zero, rate: 0, p50: nil, p99: nil, done: false) }

    func stop() { stopping.store(true, ordering: .relaxed) }

    /// Starts sending; with `postsLines` every client line is paired and posted as well, or,
    /// with `tail`, handed to the log reader to be paired with the proxies' lines.
    /// With `ramp`, the steps run one after another (stopping at the knee), as `load --ramp` runs them.
    func start(postsLines: Bool, into tail: LogTail? = nil, ramp: LoadRamp? = nil, slo: LoadSLO? = nil) throws {
        let lines = PairedLines()
        var sink: (@Sendable (AccessLogRecord, String) -> Void)?
        if let tail {
            sink = { record, text in tail.take(record, text: text) }
        } else if postsLines {
            let recorder = self.recorder
            sink = { record, text in
                recorder?.add(.logLine, [Array(Self.source.utf8), Array(text.utf8)])
                lines.state.withLock { lines in lines.pairer.add(record, text: text, into: &lines.batch.events) }
            }
        }
        if let ramp {
            startRamp(RampRunner(ramp: ramp, slo: slo, plan: plan, sink: sink), lines: lines)
            return
        }
        let engine = try LoadEngine(plan: plan, sink: sink)
        nonisolated(unsafe) let owned = engine  // used by the load thread alone from here on
        let thread = Thread { [self] in
            func post(_ status: LoadStatus) { self.post(status, lines: lines) }
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

    /// The progress, then the client lines paired since the last one.
    private func post(_ status: LoadStatus, lines: PairedLines) {
        recorder?.addLoad(status)
        events.post(.load(status))
        let batch = lines.state.withLock { lines in
            defer { lines.batch.events = [] }
            lines.batch.counts = lines.pairer.counts
            return lines.batch
        }
        if !batch.events.isEmpty { events.post(.requests(batch)) }
    }

    private func startRamp(_ runner: RampRunner, lines: PairedLines) {
        let thread = Thread { [self] in
            let rates = runner.ramp.rates
            var ramp = RampStatus(current: 1, total: rates.count, target: rates.first ?? 0, slo: runner.slo?.description)
            // The steps' requests and errors add up: the ledger counts the load since the start.
            var before = (requests: 0, errors: 0, elapsed: Duration.zero)
            func post(_ status: LoadStatus) { self.post(status, lines: lines) }
            func status(_ progress: LoadEngine.Progress, done: Bool) -> LoadStatus {
                let elapsed = before.elapsed + progress.elapsed
                var status = self.status(
                    requests: before.requests + progress.requests, errors: before.errors + progress.errors, elapsed: elapsed,
                    rate: progress.rate, p50: progress.p50, p99: progress.p99, done: done)
                status.targetRate = ramp.target
                let left = rates.count - ramp.current
                status.remaining = done ? 0 : max(0, runner.ramp.stepDuration.inSeconds * Double(left + 1) - progress.elapsed.inSeconds)
                status.ramp = ramp
                return status
            }
            _ = try? runner.run(stop: { self.stopping.load(ordering: .relaxed) }) { index, rate, progress in
                ramp.current = index + 1
                ramp.target = rate
                post(status(progress, done: false))
            } finished: { step in
                let result = step.result
                ramp.finished.append(
                    RampStatus.Step(
                        target: step.target, rate: result.rate, p50: result.milliseconds(atPercentile: 50),
                        p99: result.milliseconds(atPercentile: 99),
                        errors: result.requests > 0 ? Double(result.failedCount) / Double(result.requests) : 0,
                        held: runner.slo == nil ? nil : step.broken.isEmpty))
                before.requests += result.requests
                before.errors += result.failedCount
                before.elapsed += result.elapsed
            }
            // Every step is in `before` now; the figures shown are the last step's.
            let lastStep = ramp.finished.last
            post(status(LoadEngine.Progress(requests: 0, errors: 0, elapsed: .zero, rate: lastStep?.rate ?? 0, p50: lastStep?.p50, p99: lastStep?.p99),
                    done: true))
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
