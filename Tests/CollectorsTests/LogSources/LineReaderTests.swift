import Collectors
import Foundation
import Testing

@Suite struct LineReaderTests {
    private func readAll(_ path: String) throws -> [[UInt8]] {
        let reader = try LineReader(path: path)
        var lines: [[UInt8]] = []
        while let line = try reader.nextLine() { lines.append(Array(line)) }
        return lines
    }

    @Test func linesAcrossBlocksLongLinesAndALastLineWithoutNewline() throws {
        let path = NSTemporaryDirectory() + "meshtop-linereader-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var expected: [[UInt8]] = []
        // Enough short lines to cross the 1 MiB block several times, at odd offsets.
        for n in 0..<40_000 { expected.append(Array("line \(n) \(String(repeating: "x", count: n % 97))".utf8)) }
        expected.append([])
        expected.append([UInt8](repeating: UInt8(ascii: "a"), count: LineReader.defaultMaxLineLength))  // the longest kept
        expected.append(Array("after the long one".utf8))
        expected.append(Array("no newline at the end".utf8))
        var data = Data()
        for (index, line) in expected.enumerated() {
            data.append(contentsOf: line)
            if index < expected.count - 1 { data.append(UInt8(ascii: "\n")) }
        }
        try data.write(to: URL(fileURLWithPath: path))
        let lines = try readAll(path)
        #expect(lines.count == expected.count)
        #expect(lines == expected)
    }

    /// Issue 6: an over-long line is skipped up to its newline and counted, never held:
    /// inside one block, across blocks, and as the last line without a newline.
    @Test func overLongLinesAreSkippedAndCounted() throws {
        let path = NSTemporaryDirectory() + "meshtop-linereader-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let limit = LineReader.defaultMaxLineLength
        var text = "first\n"
        text += String(repeating: "u", count: limit + 1) + "\n"  // found whole in the first block
        text += "second\n"
        text += String(repeating: "v", count: 3 << 20) + "\n"  // longer than the 1 MiB block
        text += "third\n"
        for _ in 0..<20 { text += String(repeating: "w", count: 100_000) + "\n" }  // the issue's user agents
        text += "fourth\n"
        text += String(repeating: "z", count: limit + 1_000)  // the end, no newline
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let reader = try LineReader(path: path)
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == ["first", "second", "third", "fourth"])
        #expect(reader.overlongLines == 23)
    }

    @Test(.timeLimit(.minutes(1))) func aFIFOWithoutAWriterDoesNotBlockTheOpen() throws {
        let path = NSTemporaryDirectory() + "meshtop-fifo-\(UUID().uuidString)"
        try #require(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let reader = try LineReader(path: path)
        #expect(try reader.nextLine() == nil)
    }

    @Test func aMissingFileSaysWhy() {
        #expect(throws: LogSourceError.self) { try LineReader(path: "/nonexistent/meshtop.log") }
    }
}
