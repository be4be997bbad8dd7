// libFuzzer entry point for the access-log decoder: every input is one line, decoded by
// every built-in format with auto-detection, and read field by field the way the summary
// reads a matched line. A crash, a hang or a sanitizer report fails.
// Built by `make fuzz` with `swiftc -sanitize=fuzzer,address` over the AccessLog sources.

nonisolated(unsafe) private var decoder = AccessLogDecoder()
nonisolated(unsafe) private var times = EnvoyTimestampReader()
nonisolated(unsafe) private var names = TextInterner()
private let parsers = IstioFormats.named.compactMap { try? AccessLogParser(format: EnvoyFormat($0.source)) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let record = decoder.decode(bytes: bytes) {
        // Writing the record back exercises the writer on whatever the parser accepted.
        _ = AccessLogWriter().line(for: record)
    }
    for parser in parsers {
        _ = parser.withMatch(bytes) { line in
            for field in AccessLogField.allCases {
                _ = line.number(field)
                if let value = line.value(field), names.count < 10_000 { _ = names.number(for: value) }
            }
            _ = line.direction
            _ = line.value(.requestID).map(RequestKey.init(bytes:))
            _ = line.value(.startTime).flatMap { times.milliseconds(bytes: $0) }
        }
    }
    _ = ControlBytes.sanitize(bytes: bytes)
    return 0
}
