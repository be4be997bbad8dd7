import Foundation

/// `--debug-log FILE`: while curses owns the screen nothing may go to stdout or stderr,
/// so diagnostics go here (or nowhere).
final class DebugLog: Sendable {
    private let handle: FileHandle?

    init(path: String?) throws {
        guard let path else {
            handle = nil
            return
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw DebugLogError(path: path) }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func write(_ message: @autoclosure () -> String) {
        guard let handle else { return }
        let stamp = ISO8601DateFormatter().string(from: Date())
        handle.write(Data("\(stamp) \(message())\n".utf8))
    }
}

struct DebugLogError: Error, CustomStringConvertible {
    var path: String
    var description: String { "--debug-log: cannot write \(path)" }
}
