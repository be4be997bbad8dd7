import Collectors
import Foundation

/// Buffered standard output: lines are collected and written in large blocks.
///
/// Every line passes `ControlBytes.sanitize` on its way out, whoever made it, so no byte
/// from a peer reaches the terminal raw; only `line(colored:)` keeps escape sequences, for
/// RecordText's colours, whose fields are sanitised one by one, and the writers given the
/// buffer itself escape every byte they copy.
final class StdoutWriter {
    /// Bytes `0..<count` are written and not yet flushed.
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 17
    private var count = 0
    /// For the writers that write into an array (`writeJSON(into:)` of records and pairs).
    private var scratch: [UInt8] = []
    let isTerminal = isatty(STDOUT_FILENO) != 0
    /// Set when the reader went away (`| head`): following stops then.
    private(set) var closed = false
    /// Why a write failed, when it was not the reader going away (a full disk, /dev/full).
    private(set) var failure: String?
    /// Flushed at this size: a pipe gets large writes, and the buffer stays in the cache.
    private static let flushSize = 1 << 16

    init() { buffer = .allocate(capacity: capacity) }

    deinit { buffer.deallocate() }

    func line(_ text: String) {
        line(colored: ControlBytes.sanitize(text))
    }

    /// A line whose escape sequences are meshtop's own colours.
    func line(colored text: String) {
        var text = text
        text.withUTF8 { bytes in line(reserving: bytes.count) { $0.append(bytes) } }
    }

    /// A line written straight into the buffer, with no String between, by a writer that
    /// escapes or sanitises every byte from outside itself (`writeJSON(into:)`).
    func line(writing body: (inout [UInt8]) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        body(&scratch)
        scratch.withUnsafeBufferPointer { bytes in line(reserving: bytes.count) { $0.append(bytes) } }
    }

    /// A line of at most `bound` bytes written straight into the buffer, by a writer that
    /// escapes or sanitises every byte from outside itself (`AccessLogParser.writeJSON`,
    /// `RecordText.write`); its newline is added here.
    func line(reserving bound: Int, _ body: (inout ByteCursor) -> Void) {
        reserve(bound + 1)
        var cursor = ByteCursor(start: buffer + count, capacity: bound + 1)
        body(&cursor)
        cursor.append(UInt8(ascii: "\n"))
        count = buffer.distance(to: cursor.position)
        // A terminal sees each line at once.
        if isTerminal || count >= Self.flushSize { flush() }
    }

    private func reserve(_ bytes: Int) {
        guard capacity - count < bytes else { return }
        let grown = max(capacity * 2, count + bytes)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        bigger.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = bigger
        capacity = grown
    }

    func flush() {
        guard count > 0 else { return }
        var offset = 0
        defer { count = 0 }
        while offset < count {
            let written = write(STDOUT_FILENO, buffer + offset, count - offset)
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
