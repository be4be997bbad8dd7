import Foundation

/// Finding tools and waiting for servers, shared by the server helpers.
public enum Tool {
    public static var underCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    public static func find(_ name: String) -> String? {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
            .split(separator: ":").map { "\($0)/\(name)" } + ["/usr/bin/\(name)"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a server with its output appended to `log`, kept across restarts.
    public static func launch(_ process: Process, log url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: url)
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The last 20 lines of a server's log, for a failure's message.
    public static func tail(of url: URL) -> String {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    /// Stops a server `launch` started and waits for it; nothing when it has already gone.
    public static func stop(_ process: Process?) {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitForExit()
    }

    /// Polls `ready` every 50 ms (a readiness check, not a sleep standing in for one).
    public static func waitUntil(
        _ what: String, within seconds: TimeInterval, log: () -> String = { "" }, _ ready: () async throws -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await ready() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("\(what): not within \(Int(seconds)) s\n\(log())")
    }
}
