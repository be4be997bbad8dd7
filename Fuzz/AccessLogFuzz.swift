// libFuzzer entry point for the access-log decoder. Each input is one line given to one
// target, picked by the input's length, so that an execution does one target's work and
// the fuzzer runs tens of thousands of them a second:
//   - the decoder with auto-detection (every format, exact then tolerant), and the writer
//     on the record it accepted;
//   - one built-in format's exact or tolerant match, read field by field as the summary
//     reads it, written as JSON and as text straight from the line, and checked against
//     the record the same match makes (a difference is a crash);
//   - the sanitiser.
// A crash, a hang or a sanitizer report fails. Built by `make fuzz` with
// `swiftc -sanitize=fuzzer,address` over the AccessLog sources.

nonisolated(unsafe) private var decoder = AccessLogDecoder()
nonisolated(unsafe) private var times = EnvoyTimestampReader()
nonisolated(unsafe) private var names = TextInterner()
private let parsers = IstioFormats.named.compactMap { try? AccessLogParser(format: EnvoyFormat($0.source)) }
private let writer = AccessLogWriter()
private let origin = Array(#""/var/log/x""#.utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let targets = 2 * parsers.count + 2
    switch size % targets {
    case 0:
        if let record = decoder.decode(bytes: bytes) { _ = writer.line(for: record) }
    case 1:
        _ = ControlBytes.sanitize(bytes: bytes)
    case let target:
        let parser = parsers[(target - 2) / 2]
        let read: (AccessLogLine) -> Void = { line in check(line, parser: parser) }
        if target % 2 == 0 { _ = parser.withMatch(bytes, read) } else { _ = parser.withTolerantMatch(bytes, read) }
    }
    return 0
}

/// What the summary reads of a line, and the line written from its bytes against its record.
private func check(_ line: AccessLogLine, parser: AccessLogParser) {
    for field in AccessLogField.allCases {
        _ = line.number(field)
        if let value = line.value(field), names.count < 10_000 { _ = names.number(for: value) }
    }
    _ = line.value(.requestID).map(RequestKey.init(bytes:))
    _ = line.value(.startTime).flatMap { times.milliseconds(bytes: $0) }
    let record = parser.record(from: line)
    precondition(line.direction == record.direction)
    for field in AccessLogField.allCases where !field.isNumeric {
        let text: String? = switch line.text(field) {
        case .plain(let bytes): String(decoding: bytes, as: UTF8.self)
        case .decoded(let text): text
        case nil: nil
        }
        precondition(text == record.text(for: field), "\(field): the line's text is not the record's")
    }
    // The JSON of the line within the bound it promises (ByteCursor traps past it).
    let bound = parser.jsonBound(line, origin: origin)
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: bound)
    defer { buffer.deallocate() }
    var cursor = ByteCursor(start: buffer, capacity: bound)
    parser.writeJSON(line, origin: origin, into: &cursor)
}
