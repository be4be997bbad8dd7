import Collectors
import Foundation

/// Buffered standard output: lines are collected and written in large blocks.
///
/// Every line passes `ControlBytes.sanitize` on its way out, whoever made it, so no byte
/// from a peer reaches the terminal raw; only `line(colored:)` keeps escape sequences, for
/// RecordText's colours, whose fields are sanitised one by one.
final class StdoutWriter {
    private var buffer: [UInt8] = []
    let isTerminal = isatty(STDOUT_FILENO) != 0
    /// Set when the reader went away (`| head`): following stops then.
    private(set) var closed = false
    /// Why a write failed, when it was not the reader going away (a full disk, /dev/full).
    private(set) var failure: String?

    init() { buffer.reserveCapacity(1 << 16) }

    func line(_ text: String) {
        line(colored: ControlBytes.sanitize(text))
    }

    /// A line whose escape sequences are meshtop's own colours.
    func line(colored text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(UInt8(ascii: "\n"))
        // A terminal sees each line at once; a pipe gets large writes.
        if isTerminal || buffer.count >= 1 << 16 { flush() }
    }

    /// A line written straight into the buffer (`writeJSON(into:)`, which escapes every
    /// hidden scalar), with no String between.
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
                    // A closed pipe (| head) ends the output quietly; anything else is an error.
                    if written < 0, errno != EPIPE { failure = String(cString: strerror(errno)) }
                    return
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and fails when the output could not be written: a report that never
    /// arrived must not exit 0.
    func finish() throws(OutputError) {
        flush()
        if let failure { throw OutputError(message: "cannot write the output: \(failure)") }
    }
}

struct OutputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// One JSON object per line, keys sorted so output is stable, hidden scalars escaped.
enum JSONLine {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return String(decoding: JSONEscape.escapingHidden(Array(data)), as: UTF8.self)
    }
}

/// Standard error, one sanitised line at a time: error texts carry peers' bytes (an etcd
/// member's name, a Prometheus error, a pod's log).
enum Stderr {
    static func line(_ text: String) {
        FileHandle.standardError.write(Data((ControlBytes.sanitize(text, limit: 4_096) + "\n").utf8))
    }
}
