import Foundation

/// Buffered standard output: lines are collected and written in large blocks.
final class StdoutWriter {
    private var buffer: [UInt8] = []
    let isTerminal = isatty(STDOUT_FILENO) != 0
    /// Set when the reader went away (`| head`): following stops then.
    private(set) var closed = false

    init() { buffer.reserveCapacity(1 << 16) }

    func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(UInt8(ascii: "\n"))
        // A terminal sees each line at once; a pipe gets large writes.
        if isTerminal || buffer.count >= 1 << 16 { flush() }
    }

    /// A line written straight into the buffer (`writeJSON(into:)`), with no String between.
    func line(writing body: (inout [UInt8]) -> Void) {
        body(&buffer)
        buffer.append(UInt8(ascii: "\n"))
        if isTerminal || buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 {
                    if written < 0, errno == EINTR { continue }
                    closed = true
                    return  // a closed pipe (| head) ends the output quietly
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// One JSON object per line, keys sorted so output is stable.
enum JSONLine {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return #"{"error":"record could not be encoded"}"# }
        return String(decoding: data, as: UTF8.self)
    }
}
