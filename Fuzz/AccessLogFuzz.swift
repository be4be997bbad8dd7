// libFuzzer entry point for the access-log decoder: every input is one line, decoded by
// every built-in format with auto-detection. A crash, a hang or a sanitizer report fails.
// Built by `make fuzz` with `swiftc -sanitize=fuzzer,address` over the AccessLog sources.

nonisolated(unsafe) private var decoder = AccessLogDecoder()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let record = decoder.decode(bytes: bytes) {
        // Writing the record back exercises the writer on whatever the parser accepted.
        _ = AccessLogWriter().line(for: record)
    }
    _ = ControlBytes.sanitize(bytes: bytes)
    return 0
}
