import Collectors
import Foundation
import TestSupport
import Testing

/// The recording file: frames kept byte for byte, readable while written, read up to a cut,
/// bounded by dropping the oldest, and a clear error for what is not a recording it can read.
@Suite struct RecordingTests {
    static func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString).mtr").path
    }

    static func frames(_ reader: RecordingReader) -> [RecordingFrame] {
        var frames: [RecordingFrame] = []
        while let frame = reader.next() { frames.append(frame) }
        return frames
    }

    /// Every byte value, an escape sequence, invalid UTF-8 and an empty field.
    static let hostile: [UInt8] = Array(0...255) + Array("\u{1b}]0;owned\u{07}".utf8) + [0xff, 0xfe, 0xc3]

    @Test func framesComeBackByteForByte() throws {
        let path = Self.path()
        defer { unlink(path) }
        let writer = try RecordingWriter(path: path, watched: ["prometheus": "http://127.0.0.1:9090"], version: "test")
        writer.add(.logLine, [Array("a.log".utf8), Self.hostile], at: Date(timeIntervalSince1970: 1_780_000_000.25))
        writer.add(.exchange, [[], Array(repeating: 7, count: 300_000)])
        writer.close()
        let reader = try RecordingReader(path: path)
        #expect(reader.version == "test" && reader.watched == ["prometheus": "http://127.0.0.1:9090"])
        let frames = Self.frames(reader)
        #expect(frames.count == 2)
        #expect(frames.first == RecordingFrame(kind: .logLine, time: 1_780_000_000_250, fields: [Array("a.log".utf8), Self.hostile]))
        #expect(frames.last?.fields == [[], Array(repeating: 7, count: 300_000)])
        #expect(reader.cut == nil && !reader.endsInsideAFrame)
        #expect(writer.totals.frames == 2 && writer.totals.error == nil)
    }

    @Test func aReaderFollowsTheFileWhileItIsWritten() async throws {
        let path = Self.path()
        defer { unlink(path) }
        let writer = try RecordingWriter(path: path, version: "test", flushInterval: .milliseconds(20))
        defer { writer.close() }
        let reader = try RecordingReader(path: path)
        var seen: [String] = []
        for round in 0..<3 {
            writer.add(.logLine, [Array("f".utf8), Array("line \(round)".utf8)])
            try await Tool.waitUntil("frame \(round) readable", within: 10) {
                while let frame = reader.next() { seen.append(frame.text(1)) }
                return seen.count == round + 1
            }
        }
        #expect(seen == ["line 0", "line 1", "line 2"])
    }

    /// A file cut anywhere (a crash, a full disk) reads up to the cut.
    @Test func aCutFileReadsUpToTheCut() throws {
        let path = Self.path()
        defer { unlink(path) }
        let writer = try RecordingWriter(path: path, version: "test", flushBytes: 2_000)
        for index in 0..<200 { writer.add(.logLine, [Array("f".utf8), Array("line \(index) \(UUID().uuidString)".utf8)]) }
        writer.close()
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        var lastCount = -1
        for fraction in [0.3, 0.5, 0.8, 0.99] {
            let cut = Self.path()
            defer { unlink(cut) }
            try whole.prefix(Int(Double(whole.count) * fraction)).write(to: URL(fileURLWithPath: cut))
            let reader = try RecordingReader(path: cut)
            let frames = Self.frames(reader)
            #expect(reader.endsInsideAFrame && reader.cut == nil)
            // What it reads is the start of what was written, in order, and more of it the later the cut.
            #expect(frames.map { $0.text(1) } == (0..<frames.count).map { frames[$0].text(1) })
            #expect(frames.enumerated().allSatisfy { $0.element.text(1).hasPrefix("line \($0.offset) ") })
            #expect(frames.count > lastCount && frames.count < 200, "\(fraction): \(frames.count)")
            lastCount = frames.count
        }
        // Ten members of twenty frames, as the writer flushes them, the fifth's check sum
        // damaged: the frames up to it, and a reason.
        var header: [UInt8] = []
        RecordingFrame(kind: .header, time: 0, fields: [Array(RecordingWriter.magic.utf8), Array("1".utf8), Array("test".utf8)])
            .encode(into: &header)
        var file = Gzip.member(header)
        var damagedAt = 0
        for member in 0..<10 {
            var bytes: [UInt8] = []
            for index in (member * 20)..<(member * 20 + 20) {
                RecordingFrame(kind: .logLine, time: 0, fields: [Array("f".utf8), Array("line \(index) ".utf8)]).encode(into: &bytes)
            }
            file += Gzip.member(bytes)
            if member == 4 { damagedAt = file.count - 6 }
        }
        file[damagedAt] ^= 0x55
        let broken = Self.path()
        defer { unlink(broken) }
        try Data(file).write(to: URL(fileURLWithPath: broken))
        let reader = try RecordingReader(path: broken)
        let frames = Self.frames(reader)
        #expect(frames.count == 100, "the fifth member's frames come before its check sum is read")
        #expect(frames.enumerated().allSatisfy { $0.element.text(1).hasPrefix("line \($0.offset) ") })
        #expect(reader.cut?.contains("damaged") == true, "\(reader.cut ?? "no reason")")
    }

    /// Past `--record-max` the oldest frames go: the file stays under its bound and holds the newest.
    @Test func theBoundDropsTheOldest() throws {
        let path = Self.path()
        defer { unlink(path) }
        let bound = 256 << 10
        let writer = try RecordingWriter(path: path, maxBytes: bound, version: "test", flushBytes: 16 << 10)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<400 {
            // Random bytes do not compress: 400 KB of them must lose the oldest.
            let noise = (0..<1_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            writer.add(.logLine, [Array(String(index).utf8), noise])
        }
        writer.close()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size <= bound, "\(size) bytes")
        #expect(writer.totals.droppedBytes > 0 && writer.totals.error == nil)
        let reader = try RecordingReader(path: path)
        let numbers = Self.frames(reader).compactMap { Int($0.text(0)) }
        #expect(reader.droppedBytes == writer.totals.droppedBytes)
        #expect(numbers.last == 399 && numbers.count > 100 && numbers.count < 400)
        #expect(numbers == Array((400 - numbers.count)..<400), "the newest, in order, none missing")
    }

    @Test func whatIsNotARecordingItCanReadIsOneClearError() throws {
        let text = Self.path()
        defer { unlink(text) }
        try Data("[2026-12-02T10:00:00.000Z] \"GET / HTTP/1.1\" 200\n".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: RecordingError.self) { try RecordingReader(path: text) }
        do {
            _ = try RecordingReader(path: text)
        } catch {
            #expect(error.description == "\(text): not a meshtop recording")
        }
        // A later format, written by hand as a later meshtop would.
        let newer = Self.path()
        defer { unlink(newer) }
        var bytes: [UInt8] = []
        RecordingFrame(kind: .header, time: 0, fields: [Array(RecordingWriter.magic.utf8), Array("99".utf8), Array("9.0\u{1b}[2J".utf8)])
            .encode(into: &bytes)
        try Data(Gzip.member(bytes)).write(to: URL(fileURLWithPath: newer))
        do {
            _ = try RecordingReader(path: newer)
            Issue.record("a format-99 file was read")
        } catch {
            #expect(error.description.contains("format 99; this meshtop reads format 1: upgrade meshtop"))
            #expect(!error.description.contains("\u{1b}"))
        }
        #expect(throws: RecordingError.self) { try RecordingReader(path: "/nonexistent/x.mtr") }
    }
}
