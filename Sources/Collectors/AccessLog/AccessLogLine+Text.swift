/// A text field of a matched line as a record would hold it, without making a String
/// where the bytes already are the text: printing every line of a log (`meshtop logs`)
/// then copies most fields straight from the line.
public enum FieldText {
    /// Printable ASCII with no escape to read back: the bytes are the text, and show as
    /// themselves on a terminal.
    case plain(UnsafeBufferPointer<UInt8>)
    /// Anything else, decoded as `AccessLogParser.record(from:)` decodes it (`\"` and `\\`
    /// read back in quoted fields, invalid UTF-8 repaired), for the caller to sanitise.
    case decoded(String)
}

extension AccessLogLine {
    /// The field's text; nil when the format lacks it or the line has `-` or nothing.
    public func text(_ field: AccessLogField) -> FieldText? {
        let slot = slotOfField[field.ordinal]
        return slot < 0 ? nil : text(slot: Int(slot))
    }

    func text(slot: Int) -> FieldText? {
        guard let bytes = value(slot: slot) else { return nil }
        let quoted = slots[slot].quoted
        if ByteScan.isPrintableASCII(bytes, backslash: !quoted) { return .plain(bytes) }
        return .decoded(quoted ? AccessLogParser.unescaped(bytes) : String(decoding: bytes, as: UTF8.self))
    }
}
