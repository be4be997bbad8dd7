import Collectors

extension RecordText {
    /// `line(for:)` of the record `AccessLogParser.record(from:)` would make of a matched
    /// line, written from the line's bytes: most fields are printable ASCII and are copied
    /// as they are; the others go through `ControlBytes.sanitize` as a record's would.
    /// `origin` is the line's source, already sanitised; `out` has room for `bound` bytes.
    func write(_ line: AccessLogLine, origin: [UInt8], into out: inout ByteCursor) {
        switch line.text(.startTime) {
        case .plain(let bytes):
            // Format.logTime: the time of day of an ISO timestamp, else the whole text.
            out.append(bytes.count >= 23 ? UnsafeBufferPointer(rebasing: bytes[11..<23]) : bytes)
        case .decoded(let text): append(field(Format.logTime(text)), to: &out)
        case nil: out.append(UInt8(ascii: "-"))
        }
        separator(&out)
        out.append(origin.isEmpty ? Self.dash : origin)
        separator(&out)
        let direction = line.direction
        out.append(direction == .inbound ? Self.inbound : direction == .outbound ? Self.outbound : Self.unknown)
        separator(&out)
        write(line.text(.method), into: &out)
        separator(&out)
        write(line.text(.path), into: &out)
        separator(&out)
        let code = line.number(.responseCode)
        append(colored(code.map(String.init) ?? "-", code: code), to: &out)
        separator(&out)
        write(line.text(.responseFlags), into: &out)
        separator(&out)
        if let duration = line.number(.duration) {
            JSONValue.writeInteger(duration, into: &out)
            out.append(Self.milliseconds)
        } else {
            out.append(UInt8(ascii: "-"))
        }
        separator(&out)
        write(line.text(.requestID), into: &out)
    }

    /// The most bytes `write` writes for a line: each value at most four times its bytes
    /// (`\\xNN` of a control byte), the colours, separators and dashes.
    static func bound(_ line: AccessLogLine, origin: [UInt8]) -> Int { 4 * line.bytes.count + origin.count + 128 }

    private func write(_ text: FieldText?, into out: inout ByteCursor) {
        switch text {
        case .plain(let bytes): out.append(bytes)
        case .decoded(let text): append(field(text), to: &out)
        case nil: out.append(UInt8(ascii: "-"))
        }
    }

    private func append(_ text: String, to out: inout ByteCursor) { out.append(text) }

    @inline(__always)
    private func separator(_ out: inout ByteCursor) {
        out.append(UInt8(ascii: " "))
        out.append(UInt8(ascii: " "))
    }

    private static let dash = Array("-".utf8)
    private static let inbound = Array("in ".utf8)
    private static let outbound = Array("out".utf8)
    private static let unknown = Array("?  ".utf8)
    private static let milliseconds = Array("ms".utf8)
}
