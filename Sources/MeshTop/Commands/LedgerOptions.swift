import ArgumentParser
import Collectors
import Foundation

/// The telemetry ledger's inputs for the one-shot commands (`snapshot`, `health`): the
/// proxies' access-log files and the window both the logs and the metrics are counted over.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .customLong("logs"),
        help: "A proxy's access-log file (repeatable): its lines in the window join the telemetry ledger.")
    var logFiles: [String] = []

    @Option(
        help: "The telemetry ledger's window: what the metrics and the logs counted since this long ago (e.g. 2m) or since a time (RFC 3339, e.g. 2026-12-02T10:31:02.500Z).")
    var since = "1m"

    @Option(help: "health warns when two counts of one hop in the ledger disagree by more than this share, e.g. 1%.")
    var ledgerThreshold = "1%"

    func validate() throws {
        _ = try start()
        _ = try threshold()
        for path in logFiles {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw ValidationError("--logs \(path): no such file")
            }
        }
    }

    /// When the window starts: `since` ago, or the time it names.
    func start(now: Date = Date()) throws -> Date {
        if let window = DurationText.parse(since) {
            guard window > .zero, window <= .seconds(86_400) else { throw ValidationError("--since '\(since)' is not from 1ms to 24h") }
            return now.addingTimeInterval(-window.inSeconds)
        }
        guard let time = Self.time(since), time <= now else {
            throw ValidationError("--since '\(since)' is neither a duration (2m) nor a past time (2026-12-02T10:31:02Z)")
        }
        return time
    }

    /// An RFC 3339 time, with or without fractional seconds.
    static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    func threshold() throws -> Double {
        guard ledgerThreshold.hasSuffix("%"), let percent = Double(ledgerThreshold.dropLast()), percent.isFinite,
            (0...100).contains(percent)
        else { throw ValidationError("--ledger-threshold '\(ledgerThreshold)' is not a percentage, e.g. 1%") }
        return percent / 100
    }

    /// The files' lines that started in the window ending `now`, counted per hop and paired.
    func lines(since start: Date, until now: Date) -> LedgerLines? {
        guard !logFiles.isEmpty else { return nil }
        let from = Int64(start.timeIntervalSince1970 * 1_000)
        let to = Int64(now.timeIntervalSince1970 * 1_000)
        let (records, _) = LogFileRecords.read(logFiles) { record in
            guard let time = record.pairingTime else { return false }
            return time >= from && time <= to
        }
        var lines = LedgerLines()
        var pairer = RequestPairer(window: .seconds(60))
        for record in records {
            lines.add(record)
            lines.addPaired(from: pairer.add(record))
        }
        lines.addPaired(from: pairer.flush())
        return lines
    }

    /// One poll of every source with the metrics counted from the window's start, its
    /// ledger, and the ledger's health check among the snapshot's.
    func snapshot(_ endpoints: Endpoints, polls: Int = 1) async throws -> (snapshot: Snapshot, ledger: TelemetryLedger) {
        let start = try start()
        var snapshot = try await endpoints.snapshot(polls: polls, countsSince: start)
        let ledger = TelemetryLedger(lines: lines(since: start, until: snapshot.time), counts: snapshot.requestCounts)
        var thresholds = HealthThresholds()
        thresholds.ledgerGap = try threshold()
        snapshot.health.append(HealthEvaluator.ledger(ledger, thresholds: thresholds))
        return (snapshot, ledger)
    }
}
