import Collectors
import Foundation

/// One client-side line per request in the istio format (direction outbound, the request's
/// x-request-id), as the caller's sidecar would write it, so meshtop pairs it with the
/// first proxy's line (`PairableLine.isCaller`): appended to `meshtop load --access-log FILE`, and handed to `sink` (the
/// dashboard's Requests panel) when one is given.
final class ClientLog {
    private let handle: FileHandle?
    private let sink: (@Sendable (AccessLogRecord, String) -> Void)?
    private let writer = AccessLogWriter()
    private let outbound: OutboundRecord
    private var buffer: [UInt8] = []

    init(path: String?, plan: LoadPlan, sink: (@Sendable (AccessLogRecord, String) -> Void)? = nil) throws {
        if let path {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ClientLogError(path: path) }
            handle.seekToEndOfFile()
            self.handle = handle
        } else {
            handle = nil
        }
        self.sink = sink
        outbound = OutboundRecord(
            method: plan.method, path: plan.path, authority: plan.authority, host: plan.host, port: plan.port,
            userAgent: OutboundRecord.loadUserAgent, requestBytes: plan.body?.count ?? 0, origin: "meshtop load")
    }

    deinit { flush() }

    /// One request's line: it starts when the request was due and lasts until its answer, as
    /// the load's latency does; its upstream time is from when it was sent, so the hop's
    /// split puts the load's queue in the caller's own time (`HopTimes`).
    func write(due: Date, queued: Duration, status: Int, failure: TransferFailure?, bytes: Int, duration: Duration, requestID: String?) {
        let milliseconds = Int(due.timeIntervalSince1970 * 1_000)
        let total = Int(duration.wholeMilliseconds)
        let record = outbound.record(
            startTime: EnvoyTimestamp.format(seconds: milliseconds / 1_000, milliseconds: milliseconds % 1_000), status: status,
            failure: failure, responseBytes: bytes, durationMilliseconds: total, requestID: requestID,
            upstreamMilliseconds: max(0, total - Int(queued.wholeMilliseconds)))
        let line = writer.line(for: record)
        sink?(record, line)
        guard handle != nil else { return }
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
        if buffer.count >= 64 * 1_024 { flush() }
    }

    func flush() {
        guard let handle, !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

struct ClientLogError: Error, CustomStringConvertible {
    var path: String
    var description: String { "--access-log: cannot write \(path)" }
}
