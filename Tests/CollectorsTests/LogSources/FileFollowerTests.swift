import Collectors
import Foundation
import Testing

/// A real file written while it is followed; each poll reads what the kernel already has,
/// so no waiting is needed between a write and the poll that must see it.
@Suite struct FileFollowerTests {
    private final class LogFile {
        let url: URL
        var path: String { url.path }
        init() {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        func append(_ text: String) throws {
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
        deinit {
            try? FileManager.default.removeItem(at: url)
            try? FileManager.default.removeItem(atPath: url.path + ".1")
        }
    }

    private func strings(_ lines: [[UInt8]]) -> [String] { lines.map { String(decoding: $0, as: UTF8.self) } }

    @Test func startsAtTheEndUnlessAskedAndFollowsAppends() throws {
        let log = LogFile()
        try log.append("old 1\nold 2\n")
        let tail = try FileFollower(path: log.path, fromStart: false)
        let all = try FileFollower(path: log.path, fromStart: true)
        #expect(strings(tail.poll()) == [])
        #expect(strings(all.poll()) == ["old 1", "old 2"])
        try log.append("new 1\n")
        #expect(strings(tail.poll()) == ["new 1"])
        #expect(strings(all.poll()) == ["new 1"])
        #expect(strings(tail.poll()) == [])
    }

    @Test func holdsAPartialLineUntilItsNewline() throws {
        let log = LogFile()
        let follower = try FileFollower(path: log.path, fromStart: true)
        try log.append("first half")
        #expect(strings(follower.poll()) == [])
        try log.append(" second half\nnext")
        #expect(strings(follower.poll()) == ["first half second half"])
        try log.append("\n")
        #expect(strings(follower.poll()) == ["next"])
    }

    @Test func survivesRotation() throws {
        let log = LogFile()
        let follower = try FileFollower(path: log.path, fromStart: true)
        try log.append("before 1\nbefore 2 without newline")
        #expect(strings(follower.poll()) == ["before 1"])
        // logrotate: rename, then a new file at the same path.
        try FileManager.default.moveItem(atPath: log.path, toPath: log.path + ".1")
        _ = FileManager.default.createFile(atPath: log.path, contents: Data("after 1\n".utf8))
        #expect(strings(follower.poll()) == ["before 2 without newline", "after 1"])
        #expect(follower.rotations == 1)
        try log.append("after 2\n")
        #expect(strings(follower.poll()) == ["after 2"])
    }

    @Test func survivesTruncation() throws {
        let log = LogFile()
        let follower = try FileFollower(path: log.path, fromStart: true)
        try log.append("a long first line that makes the file big\n")
        #expect(strings(follower.poll()).count == 1)
        // copytruncate: same file, cut to zero, then written again.
        let handle = try FileHandle(forWritingTo: log.url)
        try handle.truncate(atOffset: 0)
        try handle.close()
        try log.append("fresh\n")
        #expect(strings(follower.poll()) == ["fresh"])
        #expect(follower.truncations == 1)
    }

    /// Issue 13: truncated and rewritten past the old offset before the next poll. The
    /// size alone says nothing happened (it only grew); the changed head says it did.
    @Test func aFileRewrittenPastTheOldOffsetIsReadFromTheStart() throws {
        let log = LogFile()
        let follower = try FileFollower(path: log.path, fromStart: true)
        try log.append((1...5).map { "old \($0)\n" }.joined())
        #expect(strings(follower.poll()).count == 5)
        let handle = try FileHandle(forWritingTo: log.url)
        try handle.truncate(atOffset: 0)
        try handle.close()
        let fresh = (1...5).map { "new and longer line \($0)" }
        try log.append(fresh.map { $0 + "\n" }.joined())
        #expect(strings(follower.poll()) == fresh)
        #expect(follower.truncations == 1)
        // Appends after that are read once, not taken for another rewrite.
        try log.append("after\n")
        #expect(strings(follower.poll()) == ["after"])
        #expect(follower.truncations == 1)
    }

    @Test func aRewriteIsSeenWhenFollowingFromTheEndToo() throws {
        let log = LogFile()
        try log.append(String(repeating: "x", count: 2_000) + "\n")
        let follower = try FileFollower(path: log.path, fromStart: false)
        #expect(strings(follower.poll()) == [])
        let handle = try FileHandle(forWritingTo: log.url)
        try handle.truncate(atOffset: 0)
        try handle.close()
        let fresh = (1...5).map { "rewritten \($0) " + String(repeating: "y", count: 500) }
        try log.append(fresh.map { $0 + "\n" }.joined())
        #expect(strings(follower.poll()) == fresh)
    }

    /// Issue 6: a line longer than the limit is skipped and counted, however it arrives.
    @Test func overLongLinesAreSkippedAndCounted() throws {
        let log = LogFile()
        let follower = try FileFollower(path: log.path, fromStart: true, maxLineLength: 1_000)
        try log.append("short\n" + String(repeating: "u", count: 5_000) + "\nafter\n")
        #expect(strings(follower.poll()) == ["short", "after"])
        #expect(follower.overlongLines == 1)
        // Arriving in pieces, across polls, with no newline for a while.
        try log.append(String(repeating: "v", count: 600))
        #expect(strings(follower.poll()) == [])
        try log.append(String(repeating: "v", count: 600))
        #expect(strings(follower.poll()) == [])
        #expect(follower.overlongLines == 2)
        try log.append(String(repeating: "v", count: 600) + "\nnext\n")
        #expect(strings(follower.poll()) == ["next"])
        #expect(follower.overlongLines == 2)
        // Exactly the limit is still a line.
        try log.append(String(repeating: "w", count: 1_000) + "\n")
        #expect(follower.poll().map(\.count) == [1_000])
    }

    /// Issue 8: opening a FIFO nobody writes to returns at once; lines come when a writer
    /// does, and the writer leaving is not the end.
    @Test(.timeLimit(.minutes(1))) func aFIFOWithoutAWriterWaitsWithoutBlocking() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)").path
        try #require(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let follower = try FileFollower(path: path, fromStart: false)
        #expect(follower.poll() == [])
        #expect(follower.waitingForWriter)
        for round in 1...2 {
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            try #require(writer >= 0)
            #expect(follower.poll() == [])
            #expect(!follower.waitingForWriter)
            let text = "line \(round)\n"
            #expect(text.withCString { write(writer, $0, strlen($0)) } == text.utf8.count)
            #expect(strings(follower.poll()) == ["line \(round)"])
            close(writer)
            #expect(follower.poll() == [])
            #expect(follower.waitingForWriter)
        }
    }

    @Test func aMissingFileIsAClearError() {
        #expect(throws: LogSourceError.self) { try FileFollower(path: "/no/such/file.log", fromStart: true) }
    }
}
