/// What the aggregate's pairer keeps of one line: a few machine words instead of a
/// record, so a window of 100,000 open ids stays small and adding a line allocates
/// nothing. Absent values are stored as sentinels to keep it at 40 bytes.
public struct LineDigest: PairableLine, Sendable, Equatable {
    private let key: RequestKey
    private let hasKey: Bool
    public let isServerSide: Bool
    public let isCaller: Bool
    public let isForwarded: Bool
    private let timeOrMin: Int64
    /// The number `AccessLogSummary` gave the :authority, -1 when there is none.
    public let authority: Int32
    private let durationOrNegative: Int32

    public init(
        requestKey: RequestKey?, time: Int64?, isServerSide: Bool, isCaller: Bool = false, isForwarded: Bool = false,
        authority: Int32, duration: Int?
    ) {
        key = requestKey ?? RequestKey(high: 0, low: 0)
        hasKey = requestKey != nil
        self.isServerSide = isServerSide
        self.isCaller = isCaller
        self.isForwarded = isForwarded
        timeOrMin = time ?? .min
        self.authority = authority
        durationOrNegative = duration.map { Int32(clamping: $0) } ?? -1
    }

    public var time: Int64? { timeOrMin == .min ? nil : timeOrMin }
    public var duration: Int? { durationOrNegative < 0 ? nil : Int(durationOrNegative) }
    public var pairingKey: RequestKey? { hasKey ? key : nil }
    public var pairingTime: Int64? { time }
    public var pairingDuration: Int? { duration }

    /// A digest holds no text: its size is all it costs.
    public var pairingBytes: Int { MemoryLayout<LineDigest>.stride }

    public func isSameHop(as other: LineDigest) -> Bool {
        authority < 0 || other.authority < 0 || authority == other.authority
    }
}
