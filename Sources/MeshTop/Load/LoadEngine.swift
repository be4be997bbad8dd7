import Collectors
import Foundation

/// Sends a `LoadPlan` from one thread over libcurl's multi interface: `concurrency`
/// keep-alive connections, each reused request after request.
///
/// With a rate, request i is due at start + i / rate whether or not earlier answers have
/// come (open model); when every connection is busy it waits, and its latency counts from
/// when it was due, so a slow server cannot hide its queue (coordinated omission). Without
/// a rate each connection sends its next request as soon as the last one is answered.
final class LoadEngine {
    struct Progress: Sendable {
        var requests: Int
        /// No answer or a 5xx (`LoadResult.failedCount`).
        var errors: Int
        var elapsed: Duration
        var rate: Double
        var p50: Double?
        var p99: Double?
    }

    private let plan: LoadPlan
    private let log: ClientLog?

    /// - Parameter sink: hears each request's client-side line (the dashboard's pairing).
    init(plan: LoadPlan, sink: (@Sendable (AccessLogRecord, String) -> Void)? = nil) throws {
        self.plan = plan
        log = plan.accessLog != nil || sink != nil ? try ClientLog(path: plan.accessLog, plan: plan, sink: sink) : nil
    }

    func run(stop: () -> Bool = { false }, progress: (Progress) -> Void = { _ in }) throws -> LoadResult {
        let multi = try CurlMulti<CurlTransfer>(connections: max(1, plan.concurrency))
        let timeout = Int(plan.timeout.wholeMilliseconds)
        let request = CurlRequest(
            url: plan.url, method: plan.method, headers: plan.headers, body: plan.body, connectTimeoutMilliseconds: timeout,
            totalTimeoutMilliseconds: timeout)
        var idle: [CurlTransfer] = []
        for _ in 0..<max(1, plan.concurrency) { idle.append(try CurlTransfer(request)) }
        struct InFlight {
            var due: ContinuousClock.Instant
            var started: ContinuousClock.Instant
            /// When it was due, by the wall clock (its log line's start).
            var wallStart: Date
            var requestID: String?
        }
        var inFlight: [ObjectIdentifier: InFlight] = [:]
        var result = LoadResult()
        result.targetRate = plan.rate
        let clock = ContinuousClock()
        let start = clock.now
        var issued = 0
        var lastProgress = start

        func due(_ index: Int) -> ContinuousClock.Instant {
            guard let rate = plan.rate else { return clock.now }
            return start + .nanoseconds(Int64(Double(index) * 1e9 / rate))
        }

        while true {
            let now = clock.now
            let stopIssuing =
                (plan.count.map { issued >= $0 } ?? false) || (plan.duration.map { now - start >= $0 } ?? false) || stop()
            if !stopIssuing {
                while let transfer = idle.last, plan.count.map({ issued < $0 }) ?? true {
                    let when = due(issued)
                    if plan.rate != nil, when > now { break }
                    if let duration = plan.duration, when - start >= duration { break }
                    idle.removeLast()
                    var requestID: String?
                    if log != nil {
                        let id = UUID().uuidString.lowercased()
                        requestID = id
                        try transfer.prepare(extra: ["x-request-id: \(id)"])
                    } else {
                        try transfer.prepare()
                    }
                    // The wall-clock time it was due is only needed for a log line.
                    let wallStart = log == nil ? Date.distantPast : Date() - (now - when).inSeconds
                    inFlight[ObjectIdentifier(transfer)] = InFlight(due: when, started: now, wallStart: wallStart, requestID: requestID)
                    try multi.add(transfer)
                    issued += 1
                }
            }
            if stopIssuing, inFlight.isEmpty { break }
            try multi.perform()
            for (transfer, failure) in multi.finished() {
                let finished = clock.now
                guard let flight = inFlight.removeValue(forKey: ObjectIdentifier(transfer)) else { continue }
                result.requests += 1
                let status = failure == nil ? transfer.status : 0
                if let failure { result.errors[failure.label, default: 0] += 1 } else { result.statusCodes[status, default: 0] += 1 }
                let latency = finished - flight.due
                let micros = latency.wholeMicroseconds
                _ = result.latency.record(UInt64(max(0, micros)))
                let queued = flight.started - flight.due
                _ = result.queueing.record(UInt64(max(0, queued.wholeMicroseconds)))
                log?.write(
                    due: flight.wallStart, queued: queued, status: status, failure: failure, bytes: transfer.bytesReceived,
                    duration: latency, requestID: flight.requestID)
                idle.append(transfer)
            }
            let after = clock.now
            if after - lastProgress >= .milliseconds(250) {
                lastProgress = after
                result.elapsed = after - start
                progress(
                    Progress(
                        requests: result.requests, errors: result.failedCount, elapsed: result.elapsed, rate: result.rate,
                        p50: result.milliseconds(atPercentile: 50), p99: result.milliseconds(atPercentile: 99)))
            }
            // Sleep until a socket is ready, the next request is due, or 10 ms pass.
            var next: Duration?
            if plan.rate != nil, !stopIssuing, !idle.isEmpty { next = due(issued) - clock.now }
            if let next, next <= .zero { continue }
            if next != nil || !inFlight.isEmpty { try multi.wait(milliseconds: 10, after: next) }
        }
        result.elapsed = clock.now - start
        log?.flush()
        return result
    }
}
