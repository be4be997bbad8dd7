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
            FileManager.default.createFile(atPath: url.path, contents: nil)
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
        FileManager.default.createFile(atPath: log.path, contents: Data("after 1\n".utf8))
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

    @Test func aMissingFileIsAClearError() {
        #expect(throws: LogSourceError.self) { try FileFollower(path: "/no/such/file.log", fromStart: true) }
    }
}
