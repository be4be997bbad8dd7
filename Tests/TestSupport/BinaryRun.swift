import Collectors
import Foundation

/// A built executable run to its end, as a user runs it.
public struct BinaryRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// `stdoutPath`: standard output goes to that file (/dev/full, say) instead of a pipe.
    /// `stdin`: what the binary reads on standard input (by default nothing).
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String]? = nil, stdoutPath: String? = nil,
        stdin: String? = nil
    ) async throws -> BinaryRun {
        let binary = BuiltBinary.url(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestFailure("build \(name) first") }
        return await OffPool.run {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            if let environment { process.environment = environment }
            let out = Pipe()
            let err = Pipe()
            let file = stdoutPath.flatMap { FileHandle(forWritingAtPath: $0) }
            process.standardOutput = file ?? out
            process.standardError = err
            let input = stdin.map { _ in Pipe() }
            process.standardInput = input ?? FileHandle.nullDevice
            do { try process.run() } catch { return BinaryRun(status: -1, stdout: "", stderr: "\(error)") }
            if let input, let stdin {
                // Written beside the reads below: a binary that answers before it has read
                // all its input must not stall on a full pipe.
                let writer = input.fileHandleForWriting
                Thread {
                    writer.write(Data(stdin.utf8))
                    try? writer.close()
                }.start()
            }
            try? out.fileHandleForWriting.close()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitForExit(within: 120)
            // Foundation never saw the exit: report it rather than trap on terminationStatus.
            if process.isRunning { return BinaryRun(status: -1, stdout: stdout, stderr: stderr + "\n(exit not seen)") }
            return BinaryRun(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }

    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(stdout)\n\(stderr)")
        }
        return object
    }
}
