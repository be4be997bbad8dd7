import Foundation

/// `kubectl port-forward` to a service, on a local port kubectl picks (`0:PORT`): started,
/// its "Forwarding from 127.0.0.1:N" line read for N, and stopped with its owner.
public final class PortForward: Sendable {
    public let localURL: String
    private let process: Subprocess

    /// Starts the forward and waits (up to `timeout`) for kubectl to say where it listens.
    public init(
        kubectl: String = "kubectl", context: String?, namespace: String, service: String, port: Int,
        scheme: String = "http", timeout: Duration = .seconds(10)
    ) throws(KubeError) {
        var arguments: [String] = []
        if let context { arguments += ["--context", context] }
        arguments += ["-n", namespace, "port-forward", "svc/\(service)", "0:\(port)"]
        let process: Subprocess
        do { process = try Subprocess(kubectl, arguments) } catch { throw KubeError(error.description) }
        self.process = process
        // Read kubectl's output until the forwarding line, on this thread: the forwards
        // are opened once, at start-up.
        let deadline = ContinuousClock.now + timeout
        var buffer = Data()
        let descriptor = process.output!.fileDescriptor
        var found: Int?
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while found == nil, ContinuousClock.now < deadline {
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollDescriptor, 1, 100)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            buffer.append(contentsOf: chunk[..<count])
            found = Self.forwardedPort(in: String(decoding: buffer, as: UTF8.self))
        }
        guard let found else {
            process.terminate()
            let reason = process.errorLines.first ?? "no forwarding line within \(timeout)"
            throw KubeError("port-forward to \(namespace)/\(service): \(ControlBytes.sanitize(reason))")
        }
        localURL = "\(scheme)://127.0.0.1:\(found)"
    }

    deinit { stop() }

    /// SIGTERM, then SIGKILL after a second for a forward that ignores it.
    public func stop() {
        process.terminate()
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
        return (try? Subprocess.run(kubectl, ["config", "current-context"], timeout: .seconds(10)))?.status == 0
    }
}
