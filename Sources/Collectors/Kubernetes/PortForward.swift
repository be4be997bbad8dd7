import Foundation

/// `kubectl port-forward` to a service, on a local port kubectl picks (`0:PORT`): started,
/// its "Forwarding from 127.0.0.1:N" line read for N, and stopped with its owner.
public final class PortForward: @unchecked Sendable {
    public let localURL: String
    private let process: Process

    /// Starts the forward and waits (up to `timeout`) for kubectl to say where it listens.
    public init(
        kubectl: String = "kubectl", context: String?, namespace: String, service: String, port: Int,
        scheme: String = "http", timeout: Duration = .seconds(10)
    ) throws(KubeError) {
        var arguments = [kubectl]
        if let context { arguments += ["--context", context] }
        arguments += ["-n", namespace, "port-forward", "svc/\(service)", "0:\(port)"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // A child inherits the spawning thread's signal mask; threads of Swift's pool block
        // everything, and a forward that cannot hear SIGTERM outlives meshtop.
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        do { try process.run() } catch { throw KubeError("cannot run \(kubectl): \(error)") }
        self.process = process
        // Read kubectl's output line by line until the forwarding line, on this thread:
        // the constructor is called once, at start-up.
        let deadline = ContinuousClock.now + timeout
        var buffer = Data()
        let handle = out.fileHandleForReading
        var found: Int?
        while found == nil, ContinuousClock.now < deadline {
            var pollDescriptor = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pollDescriptor, 1, 100) > 0 else {
                if !process.isRunning { break }
                continue
            }
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            found = Self.forwardedPort(in: String(decoding: buffer, as: UTF8.self))
        }
        guard let found else {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let reason = String(decoding: err.fileHandleForReading.availableDataIfExited(process), as: UTF8.self)
                .split(separator: "\n").first.map(String.init) ?? "no forwarding line within \(timeout)"
            throw KubeError("port-forward to \(namespace)/\(service): \(ControlBytes.sanitize(reason))")
        }
        localURL = "\(scheme)://127.0.0.1:\(found)"
    }

    deinit { stop() }

    /// SIGTERM, then SIGKILL after a second for a forward that ignores it.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(1)
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The local port of "Forwarding from 127.0.0.1:43121 -> 9090".
    static func forwardedPort(in output: String) -> Int? {
        for line in output.split(separator: "\n") where line.hasPrefix("Forwarding from 127.0.0.1:") {
            let rest = line.dropFirst("Forwarding from 127.0.0.1:".count)
            if let port = Int(rest.prefix { $0.isNumber }) { return port }
        }
        return nil
    }

    /// Whether kubectl is on PATH and has a current context (it may still be unreachable).
    public static func hasContext(kubectl: String = "kubectl", context: String?) -> Bool {
        if context != nil { return true }
        let (status, _, _) = KubernetesSource.run(kubectl, ["config", "current-context"])
        return status == 0
    }
}

extension FileHandle {
    /// What a finished process left on this pipe; nothing while it still runs.
    fileprivate func availableDataIfExited(_ process: Process) -> Data {
        guard !process.isRunning else { return Data() }
        return readDataToEndOfFile()
    }
}
