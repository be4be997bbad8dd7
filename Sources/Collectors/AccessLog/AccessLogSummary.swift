import Histogram

/// The aggregate of many access-log lines: what `meshtop logs --summary` prints and the
/// dashboard's request panel header shows.
public struct AccessLogSummary: Sendable {
    public private(set) var records = 0
    public private(set) var byAuthority: [String: Int] = [:]
    public private(set) var byDirection: [String: Int] = [:]
    public private(set) var byCode: [String: Int] = [:]
    public private(set) var byFlags: [String: Int] = [:]
    public private(set) var pairs = 0
    public private(set) var chains = 0
    private var durations = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    private var overheads = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    /// Pairs whose server side took longer than the client side (clock or logging skew).
    public private(set) var negativeOverheads = 0
    private var firstTime: Int64?
    private var lastTime: Int64?

    public init() {}

    public mutating func add(_ record: AccessLogRecord) {
        records += 1
        byAuthority[record.authority ?? "-", default: 0] += 1
        byDirection[record.direction.rawValue, default: 0] += 1
        byCode[record.responseCode.map(String.init) ?? "-", default: 0] += 1
        byFlags[record.responseFlags ?? "-", default: 0] += 1
        if let duration = record.duration, duration >= 0 { _ = durations.record(UInt64(min(duration, 3_600_000))) }
        if let time = record.startTime.flatMap(EnvoyTimestamp.milliseconds) {
            firstTime = Swift.min(firstTime ?? time, time)
            lastTime = Swift.max(lastTime ?? time, time)
        }
    }

    public mutating func add(_ event: PairingEvent) {
        switch event {
        case .pair(let pair):
            pairs += 1
            guard let overhead = pair.overheadMilliseconds else { return }
            if overhead < 0 { negativeOverheads += 1 } else { _ = overheads.record(UInt64(min(overhead, 3_600_000))) }
        case .chain:
            chains += 1
        }
    }

    public struct Percentiles: Sendable, Equatable, Encodable {
        public var p50: UInt64
        public var p90: UInt64
        public var p99: UInt64
        public var max: UInt64
    }

    /// Duration percentiles in milliseconds, nil before the first duration.
    public var duration: Percentiles? { Self.percentiles(durations) }
    /// Overhead (client minus server) percentiles over pairs, in milliseconds.
    public var overhead: Percentiles? { Self.percentiles(overheads) }

    /// Lines per second of log time, from the first to the last START_TIME seen.
    public var linesPerSecond: Double? {
        guard let firstTime, let lastTime, lastTime > firstTime else { return nil }
        return Double(records) * 1_000 / Double(lastTime - firstTime)
    }

    private static func percentiles(_ histogram: Histogram<UInt64>) -> Percentiles? {
        guard histogram.totalCount > 0 else { return nil }
        return Percentiles(
            p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
            p99: histogram.valueAtPercentile(99), max: histogram.max)
    }
}
