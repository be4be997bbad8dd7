import Histogram

/// The aggregate of many access-log lines: what `meshtop logs --summary` prints and the
/// dashboard's request panel header shows.
///
/// Authorities and flag sets are counted by number (`TextInterner`), so adding a parsed
/// line builds no String; `add` returns the line's `LineDigest` for the pairer, whose
/// events come back through `add(_:)` for the pair counts and overheads.
public struct AccessLogSummary: Sendable {
    public private(set) var records = 0
    public private(set) var pairs = 0
    public private(set) var chains = 0
    /// Pairs whose server side took longer than the client side (clock or logging skew).
    public private(set) var negativeOverheads = 0
    /// Lines read with fields beyond their format's, and lines that lacked its last fields.
    public private(set) var withExtraFields = 0
    public private(set) var withMissingFields = 0

    private var authorities = TextInterner()
    private var authorityCounts: [Int] = []
    private var flagSets = TextInterner()
    private var flagCounts: [Int] = []
    /// By response code 0...999 (index 1000: a line without one); others in `otherCodes`.
    private var codeCounts = [Int](repeating: 0, count: 1001)
    private var otherCodes: [Int: Int] = [:]
    private var directionCounts = [0, 0, 0]
    private static let directions: [AccessLogRecord.Direction] = [.inbound, .outbound, .unknown]
    private var withoutAuthority = 0
    private var withoutFlags = 0
    private var durations = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    private var overheads = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    private var times = EnvoyTimestampReader()
    private var firstTime: Int64?
    private var lastTime: Int64?

    public init() {}

    /// Counts a parsed line without building a record.
    @discardableResult
    public mutating func add(_ line: AccessLogLine) -> LineDigest {
        let authority = line.value(.authority).map { authorities.number(for: $0) } ?? -1
        let flags = line.value(.responseFlags).map { flagSets.number(for: $0) } ?? -1
        let time = line.value(.startTime).flatMap { times.milliseconds(bytes: $0) }
        let direction = line.direction
        let duration = line.number(.duration)
        count(authority: authority, flags: flags, code: line.number(.responseCode), direction: direction, duration: duration, time: time)
        countUneven(extra: line.extraFields, missing: line.missingFields)
        let isServerSide = direction == .inbound
        return LineDigest(
            requestKey: line.value(.requestID).map(RequestKey.init(bytes:)), time: time, isServerSide: isServerSide,
            isCaller: !isServerSide && line.value(.downstreamRemoteAddress) == nil && Self.isLoadAgent(line.value(.userAgent)),
            isForwarded: isServerSide && line.value(.xForwardedFor) != nil, authority: authority, duration: duration)
    }

    @discardableResult
    public mutating func add(_ record: AccessLogRecord) -> LineDigest {
        let authority = record.authority.map { authorities.number(for: $0) } ?? -1
        let flags = record.responseFlags.map { flagSets.number(for: $0) } ?? -1
        let time = record.pairingTime
        count(
            authority: authority, flags: flags, code: record.responseCode, direction: record.direction,
            duration: record.duration, time: time)
        countUneven(extra: record.extraFields, missing: record.missingFields)
        return LineDigest(
            requestKey: record.pairingKeyText.map(RequestKey.init), time: time, isServerSide: record.isServerSide,
            isCaller: record.isCaller, isForwarded: record.isForwarded, authority: authority, duration: record.duration)
    }

    private static let loadAgent = Array(OutboundRecord.loadUserAgent.utf8)

    private static func isLoadAgent(_ bytes: UnsafeBufferPointer<UInt8>?) -> Bool {
        guard let bytes, bytes.count == loadAgent.count else { return false }
        return bytes.elementsEqual(loadAgent)
    }

    private mutating func countUneven(extra: Int, missing: Int) {
        if extra > 0 { withExtraFields += 1 }
        if missing > 0 { withMissingFields += 1 }
    }

    private mutating func count(
        authority: Int32, flags: Int32, code: Int?, direction: AccessLogRecord.Direction, duration: Int?, time: Int64?
    ) {
        records += 1
        if authority < 0 {
            withoutAuthority += 1
        } else {
            if Int(authority) == authorityCounts.count { authorityCounts.append(0) }
            authorityCounts[Int(authority)] += 1
        }
        if flags < 0 {
            withoutFlags += 1
        } else {
            if Int(flags) == flagCounts.count { flagCounts.append(0) }
            flagCounts[Int(flags)] += 1
        }
        if let code {
            if code >= 0, code < 1000 { codeCounts[code] += 1 } else { otherCodes[code, default: 0] += 1 }
        } else {
            codeCounts[1000] += 1
        }
        switch direction {
        case .inbound: directionCounts[0] += 1
        case .outbound: directionCounts[1] += 1
        case .unknown: directionCounts[2] += 1
        }
        if let duration, duration >= 0 { _ = durations.record(UInt64(min(duration, 3_600_000))) }
        if let time {
            if firstTime == nil || time < firstTime! { firstTime = time }
            if lastTime == nil || time > lastTime! { lastTime = time }
        }
    }

    public mutating func add(_ event: PairingEvent) {
        switch event {
        case .paired(let pair): countPair(client: pair.client.duration, server: pair.server.duration)
        case .chain: chains += 1
        case .waiting, .alone: break
        }
    }

    public mutating func add(_ event: LinePairer<LineDigest>.Event) {
        switch event {
        case .pair(let hop): countPair(client: hop.client.duration, server: hop.server.duration)
        case .chain: chains += 1
        }
    }

    private mutating func countPair(client: Int?, server: Int?) {
        pairs += 1
        guard let client, let server else { return }
        let overhead = client - server
        if overhead < 0 { negativeOverheads += 1 } else { _ = overheads.record(UInt64(min(overhead, 3_600_000))) }
    }

    public var byAuthority: [String: Int] { table(authorities, authorityCounts, none: withoutAuthority) }
    public var byFlags: [String: Int] { table(flagSets, flagCounts, none: withoutFlags) }

    public var byCode: [String: Int] {
        var table: [String: Int] = [:]
        for (code, count) in codeCounts.enumerated() where count > 0 { table[code == 1000 ? "-" : String(code)] = count }
        for (code, count) in otherCodes { table[String(code)] = count }
        return table
    }

    public var byDirection: [String: Int] {
        var table: [String: Int] = [:]
        for (direction, count) in zip(Self.directions, directionCounts) where count > 0 { table[direction.rawValue] = count }
        return table
    }

    private func table(_ names: TextInterner, _ counts: [Int], none: Int) -> [String: Int] {
        var table: [String: Int] = none > 0 ? ["-": none] : [:]
        for (number, count) in counts.enumerated() { table[names.texts[number], default: 0] += count }
        return table
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

    static func percentiles(_ histogram: Histogram<UInt64>) -> Percentiles? {
        guard histogram.totalCount > 0 else { return nil }
        return Percentiles(
            p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
            p99: histogram.valueAtPercentile(99), max: histogram.max)
    }
}
