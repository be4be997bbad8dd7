import Collectors
import Foundation
import TestSupport

/// `meshtop logs --follow …` running in the background: its stdout read as lines come, a
/// watchdog that kills it if a test waits for a line that never comes (so the read returns
/// and the test fails), and SIGKILL on `kill()` for whatever is left.
final class FollowingMeshtop: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    let err = Pipe()
    private var watchdog: DispatchWorkItem?

    init(_ arguments: [String], killAfter limit: Duration) throws {
        process.executableURL = BuiltBinary.url("meshtop")
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let pid = process.processIdentifier
        // On a Dispatch thread, not a task: with the pool's few threads blocked, a task
        // watchdog would never run and a stuck test would hang the whole run.
        let watchdog = DispatchWorkItem { Glibc.kill(pid, SIGKILL) }
        let (seconds, attoseconds) = limit.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)),
            execute: watchdog)
        self.watchdog = watchdog
    }

    var pid: Int32 { process.processIdentifier }

    /// What meshtop printed next, once it holds `count` lines (less if meshtop ended).
    func read(lines count: Int = 1) async -> String {
        let reader = out.fileHandleForReading
        // The read blocks until meshtop writes: off the pool, which the tests share.
        return await OffPool.run { () -> String in
            var seen = ""
            while seen.split(separator: "\n").count < count {
                let data = reader.availableData
                if data.isEmpty { break }
                seen += String(decoding: data, as: UTF8.self)
            }
            return seen
        }
    }

    /// SIGTERM, as Ctrl-C's cousin, and the exit status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitForExit(within: 20)
        return process.isRunning ? -1 : process.terminationStatus
    }

    func kill() {
        watchdog?.cancel()
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitForExit()
    }
}
