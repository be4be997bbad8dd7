import Foundation
import Synchronization

/// A tool started by name, found on PATH as a shell would find it: its standard output on a
/// pipe (or discarded), its standard error kept in part for the one-line reason a failure
/// gives, its standard input empty. The one place meshtop starts a process (kubectl logs,
/// get pods and port-forward).
///
/// Two uses: read `output` as the tool writes (a follow, a port-forward), or `readToEnd`
/// with a byte bound and a deadline (a listing). Either way the process is terminated by
/// `terminate()` or when its owner lets go of it.
public final class Subprocess: @unchecked Sendable {
    public enum Output: Sendable {
        case pipe
        case discard
    }

    /// What a run to its end left: the exit status (128 + the signal for one killed),
    /// standard output up to the bound, and why it stopped early if it did.
    public struct Completion: Sendable {
        public var status: Int32
        public var output: Data
        /// Output went past the bound: the process was terminated and `output` is its start.
        public var outputTruncated: Bool
        /// The deadline came first: the process was terminated.
        public var timedOut: Bool
        public var errorLines: [String]
        public var lastErrorLine: String?
    }

    public let tool: String
    public let arguments: [String]
    /// The read end of standard output, with `.pipe`; owned by this object.
    public let output: FileHandle?
    private let process: Process
    private let errors: ErrorCapture
    /// Left when the process has exited (Foundation's termination handler), so any number of
    /// waiters can wait with a deadline.
    private let exited = DispatchGroup()

    /// Starts `tool` with `arguments`.
    /// - Parameter environment: the child's whole environment, and the PATH searched;
    ///   nil for meshtop's own.
    public init(
        _ tool: String, _ arguments: [String], output: Output = .pipe, environment: [String: String]? = nil
    ) throws(SubprocessError) {
        self.tool = tool
        self.arguments = arguments
        guard let executable = Self.locate(tool, path: (environment ?? ProcessInfo.processInfo.environment)["PATH"]) else {
            throw SubprocessError("cannot run \(tool): not found on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let outPipe = output == .pipe ? Pipe() : nil
        let errPipe = Pipe()
        process.standardOutput = outPipe ?? FileHandle.nullDevice
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        let exited = self.exited
        exited.enter()
        process.terminationHandler = { _ in exited.leave() }
        // A child inherits the spawning thread's signal mask; threads of Swift's pool block
        // everything, and a child that cannot hear SIGTERM outlives meshtop.
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        do {
            try process.run()
        } catch {
            exited.leave()
            throw SubprocessError("cannot run \(tool): \(error)")
        }
        // The child has its own copies of the write ends; with the parent's open too, a
        // reader would never see the end of the output.
        try? outPipe?.fileHandleForWriting.close()
        try? errPipe.fileHandleForWriting.close()
        self.process = process
        self.output = outPipe?.fileHandleForReading
        self.errors = ErrorCapture(errPipe.fileHandleForReading, name: tool)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: Int32 { process.processIdentifier }

    /// The first lines of standard error so far (at most `ErrorCapture.headLimit` bytes).
    public var errorLines: [String] { errors.lines.head }
    /// The last line of standard error so far: where kubectl puts its own summary, after
    /// any lines client-go logged.
    public var lastErrorLine: String? { errors.lines.last }

    /// Waits (up to `timeout`, or for as long as it takes) for the exit, then within the
    /// same time for the end of standard error, so `errorLines` are whole; the exit status,
    /// nil while it still runs.
    @discardableResult
    public func waitForExit(timeout: Duration? = nil) -> Int32? {
        let deadline = timeout.map { DispatchTime.now() + $0.dispatchInterval } ?? .distantFuture
        guard exited.wait(timeout: deadline) == .success else { return nil }
        // A grandchild can hold standard error open long after the exit: bounded even
        // without a timeout.
        _ = errors.finished.wait(timeout: min(deadline, .now() + .seconds(1)))
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// SIGTERM, then SIGKILL after `grace` for a tool that ignores it; returns once it has
    /// exited.
    public func terminate(grace: Duration = .seconds(1)) {
        if process.isRunning { process.terminate() }
        if waitForExit(timeout: grace) == nil {
            kill(process.processIdentifier, SIGKILL)
            waitForExit()
        }
    }

    /// Reads standard output to its end, at most `maxBytes` of it, until `timeout`; a
    /// process that writes more or takes longer is terminated.
    public func readToEnd(maxBytes: Int, timeout: Duration) -> Completion {
        let deadline = ContinuousClock.now + timeout
        var data = Data()
        var truncated = false
        var timedOut = false
        if let descriptor = output?.fileDescriptor {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            reading: while true {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    timedOut = true
                    break
                }
                var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: Int64(left.inMilliseconds.rounded(.up)))
                switch poll(&ready, 1, milliseconds) {
                case 0: continue reading
                case ..<0 where errno == EINTR: continue reading
                case ..<0: break reading
                default: break
                }
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                guard count > 0 else { break }
                let room = maxBytes - data.count
                data.append(contentsOf: buffer[..<min(count, room)])
                if count > room {
                    truncated = true
                    break
                }
            }
        }
        var status: Int32
        if truncated || timedOut {
            terminate()
            status = waitForExit() ?? -1
        } else if let exit = waitForExit(timeout: max(deadline - ContinuousClock.now, .zero)) {
            status = exit
        } else {
            timedOut = true
            terminate()
            status = waitForExit() ?? -1
        }
        return Completion(
            status: status, output: data, outputTruncated: truncated, timedOut: timedOut, errorLines: errorLines,
            lastErrorLine: lastErrorLine)
    }

    /// Starts `tool` and reads it to its end (`readToEnd`).
    public static func run(
        _ tool: String, _ arguments: [String], maxOutputBytes: Int = 32 << 20, timeout: Duration = .seconds(30),
        environment: [String: String]? = nil
    ) throws(SubprocessError) -> Completion {
        try Subprocess(tool, arguments, environment: environment).readToEnd(maxBytes: maxOutputBytes, timeout: timeout)
    }

    /// The executable `tool` names: itself when it has a slash, else the first match on PATH.
    public static func locate(_ tool: String, path: String?) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        for directory in (path ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

public struct SubprocessError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Standard error read on a thread of its own to its end, so the child never blocks on a
/// full pipe; its start and its last line are kept, the rest dropped.
private final class ErrorCapture: Sendable {
    static let headLimit = 8 * 1024
    static let tailLimit = 1024

    private let bytes = Mutex<(head: [UInt8], tail: [UInt8])>(([], []))
    let finished = DispatchGroup()

    init(_ handle: FileHandle, name: String) {
        finished.enter()
        // The thread holds this object until the end of the stream, then lets it go.
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                keep(chunk)
            }
            finished.leave()
        }
        thread.name = "stderr of \(name)"
        thread.start()
    }

    private func keep(_ chunk: Data) {
        bytes.withLock { kept in
            kept.head += chunk.prefix(max(0, Self.headLimit - kept.head.count))
            kept.tail = Array((kept.tail + chunk).suffix(Self.tailLimit))
        }
    }

    var lines: (head: [String], last: String?) {
        let (head, tail) = bytes.withLock { $0 }
        func split(_ bytes: [UInt8]) -> [String] {
            bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
                .filter { !$0.allSatisfy(\.isWhitespace) }
        }
        return (split(head), split(tail).last)
    }
}

extension Duration {
    fileprivate var dispatchInterval: DispatchTimeInterval {
        .nanoseconds(Int(clamping: Int64(inMilliseconds.rounded(.up)) * 1_000_000))
    }
}
