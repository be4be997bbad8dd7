import Collectors
import Foundation
import Testing

/// The follow loop's wait ends when an input changes: a write, a rotation, a pipe's data, a
/// wake-up. Each test waits up to 20 s and must come back far sooner: a wait that only ended
/// at its timeout would be sleep-polling, which these tests exist to rule out.
@Suite struct LogInputsTests {
    static let line = #"[2026-11-27T16:28:24.640Z] "GET /x HTTP/1.1" 200 - via_upstream - "-" 0 2 5 4 "-" "curl" "r1" "svc:80" "10.0.0.2:80" inbound|80|| 127.0.0.1:1 10.0.0.1:80 10.0.0.9:2 - default"#

    /// A directory of its own with an empty file (or a FIFO) for each name.
    private struct Scratch {
        let directory: URL
        init(files: [String] = [], fifos: [String] = []) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("inputs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in files { _ = FileManager.default.createFile(atPath: path(name), contents: nil) }
            for name in fifos where mkfifo(path(name), 0o600) != 0 { throw POSIXError(.EEXIST) }
        }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs `change` on another thread once the wait has begun; returns how long the wait
    /// took, after the change is done (a FIFO's writer must not outlive its reader).
    private func wait(_ inputs: LogInputs, while change: @escaping @Sendable () throws -> Void) -> Duration {
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            started.wait()
            try? change()
            done.signal()
        }.start()
        let clock = ContinuousClock()
        let start = clock.now
        started.signal()
        inputs.wait(upTo: .seconds(20))
        let waited = clock.now - start
        done.wait()
        return waited
    }

    @Test func anAppendEndsTheWaitAndIsRead() throws {
        let scratch = try Scratch(files: ["access.log"])
        defer { scratch.remove() }
        let path = scratch.path("access.log")
        let inputs = try LogInputs(sources: [path], fromStart: false, format: .auto)
        #expect(inputs.read { _, _, _ in }.lines == 0)
        let waited = wait(inputs) {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((Self.line + "\n").utf8))
            try handle.close()
        }
        #expect(waited < .seconds(10))
        var records: [AccessLogRecord] = []
        // The write may land a moment after the wake-up; the wait is repeated, never slept.
        for _ in 0..<5 where records.isEmpty {
            inputs.read { bytes, source, decoder in
                if var record = decoder.decode(bytes: bytes) {
                    record.origin = source
                    records.append(record)
                }
            }
            if records.isEmpty { inputs.wait(upTo: .seconds(2)) }
        }
        #expect(records.map(\.requestID) == ["r1"] && records.first?.origin == path)
    }

    @Test func aRotatedFilesSuccessorEndsTheWait() throws {
        let scratch = try Scratch(files: ["access.log"])
        defer { scratch.remove() }
        let path = scratch.path("access.log")
        let inputs = try LogInputs(sources: [path], fromStart: false, format: .auto)
        let waited = wait(inputs) {
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            _ = FileManager.default.createFile(atPath: path, contents: Data((Self.line + "\n").utf8))
        }
        #expect(waited < .seconds(10))
    }

    @Test func aWakeUpFromAnotherThreadEndsTheWait() throws {
        let scratch = try Scratch(files: ["quiet.log"])
        defer { scratch.remove() }
        let path = scratch.path("quiet.log")
        let inputs = try LogInputs(sources: [path], fromStart: false, format: .auto)
        nonisolated(unsafe) let shared = inputs
        #expect(wait(inputs) { shared.wake() } < .seconds(10))
    }

    @Test func aFIFOsWriterEndsTheWait() throws {
        let scratch = try Scratch(fifos: ["pipe"])
        defer { scratch.remove() }
        let path = scratch.path("pipe")
        let inputs = try LogInputs(sources: [path], fromStart: false, format: .auto)
        let waited = wait(inputs) {
            let handle = FileHandle(forWritingAtPath: path)
            try handle?.write(contentsOf: Data((Self.line + "\n").utf8))
            try handle?.close()
        }
        #expect(waited < .seconds(10))
    }

    /// Nothing changed: the wait lasts its timeout. A FIFO without a writer, which poll(2)
    /// reports as hung up at once, must not turn the reader into a busy loop.
    @Test func aQuietFileOrAWriterlessFIFOWaitsTheWholeTimeout() throws {
        let scratch = try Scratch(files: ["quiet.log"], fifos: ["pipe"])
        defer { scratch.remove() }
        let (path, fifo) = (scratch.path("quiet.log"), scratch.path("pipe"))
        let inputs = try LogInputs(sources: [path, fifo], fromStart: false, format: .auto)
        inputs.read { _, _, _ in }
        let clock = ContinuousClock()
        let start = clock.now
        inputs.wait(upTo: .milliseconds(300))
        #expect(clock.now - start >= .milliseconds(250))
    }

    @Test func aMissingFileIsAnErrorThatNamesIt() {
        #expect(throws: LogSourceError.self) { try LogInputs(sources: ["/nonexistent/meshtop.log"], fromStart: false, format: .auto) }
    }
}
