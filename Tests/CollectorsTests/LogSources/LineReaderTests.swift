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
        expected.append([UInt8](repeating: UInt8(ascii: "a"), count: 3 << 20))  // grows the buffer
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

    @Test func aRunWithoutNewlineIsCutAtTheLimit() throws {
        let path = NSTemporaryDirectory() + "meshtop-linereader-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = LineReader.maxLineLength + 1_000
        try Data(repeating: UInt8(ascii: "z"), count: run).write(to: URL(fileURLWithPath: path))
        let lines = try readAll(path)
        #expect(lines.map(\.count).reduce(0, +) == run)
        #expect(lines.allSatisfy { $0.count <= LineReader.maxLineLength })
        #expect(lines.count == 2)
    }

    @Test func aMissingFileSaysWhy() {
        #expect(throws: LogSourceError.self) { try LineReader(path: "/nonexistent/meshtop.log") }
    }
}
