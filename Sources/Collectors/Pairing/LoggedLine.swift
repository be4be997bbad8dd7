/// One access-log line as it was read: its record, its text (for the dashboard's details;
/// empty where only records are printed) and its place in the pairer's input, which names
/// it in the pairer's events.
public struct LoggedLine: Sendable, Equatable {
    public var record: AccessLogRecord
    public var text: String
    /// 0 for the first line the pairer was given, 1 for the next…; -1 when made by hand.
    public var number: Int

    public init(record: AccessLogRecord, text: String = "", number: Int = -1) {
        self.record = record
        self.text = text
        self.number = number
    }
}

extension LoggedLine: PairableLine {
    public var pairingKey: String? { record.pairingKeyText }
    public var pairingTime: Int64? { record.pairingTime }
    public var pairingDuration: Int? { record.duration }
    public var isServerSide: Bool { record.isServerSide }
    public var isCaller: Bool { record.isCaller }
    public var isForwarded: Bool { record.isForwarded }
    public func isSameHop(as other: LoggedLine) -> Bool { record.isSameHop(as: other.record) }
    public var pairingBytes: Int {
        let count = text.utf8.count
        return record.pairingBytes + (count > 15 ? count + 32 : 0)
    }
}
