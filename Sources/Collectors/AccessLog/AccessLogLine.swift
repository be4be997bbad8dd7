/// One matched line as byte ranges: what `AccessLogParser.withMatch` hands out so the
/// aggregate can read the few fields it needs without building a record. Valid only
/// inside the closure that received it.
public struct AccessLogLine {
    /// The line without its newline.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Two offsets per slot of the format, -1 for a field the line did not reach.
    let captures: UnsafePointer<Int>
    let slotOfField: UnsafeBufferPointer<Int32>
    /// The format's slots, for whether a field was quoted (its `\"` and `\\` are escapes).
    let slots: UnsafeBufferPointer<AccessLogParser.Slot>
    /// Space-separated fields after the format's last one (`AccessLogParser.withTolerantMatch`).
    public var extraFields = 0
    /// The format's fields after the one the line ended with.
    public var missingFields = 0

    /// The bytes of a field; nil when the format lacks it or the line has `-` or nothing.
    public func value(_ field: AccessLogField) -> UnsafeBufferPointer<UInt8>? {
        let slot = slotOfField[field.ordinal]
        return slot < 0 ? nil : value(slot: Int(slot))
    }

    /// A numeric field (`-` is nil).
    public func number(_ field: AccessLogField) -> Int? {
        value(field).flatMap(AccessLogParser.integer)
    }

    func value(slot: Int) -> UnsafeBufferPointer<UInt8>? {
        let from = captures[2 * slot]
        let to = captures[2 * slot + 1]
        guard from >= 0, to > from else { return nil }
        if to - from == 1, bytes[from] == UInt8(ascii: "-") { return nil }
        return UnsafeBufferPointer(rebasing: bytes[from..<to])
    }

    public var direction: AccessLogRecord.Direction {
        AccessLogRecord.Direction(cluster: value(.upstreamCluster), upstreamHost: value(.upstreamHost))
    }
}
