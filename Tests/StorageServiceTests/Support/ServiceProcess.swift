import Foundation
import Testing
import TestSupport

/// The built storage-service binary on a free loopback port, as an operator runs it, so
/// that raw sockets meet the real server (its channel pipeline, limits and timeouts) and
/// nothing else holds a connection to it.
final class ServiceProcess: @unchecked Sendable {
    let port: Int
    private let process = Process()

    /// Starts the binary with `arguments` (the memory store unless they name etcd) and
    /// returns once it answers.
    init(_ arguments: [String]) async throws {
        let binary = BuiltBinary.url("storage-service")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestFailure("build storage-service first") }
        port = FreePort.next()
        process.executableURL = binary
        let store = arguments.contains("--etcd") ? [] : ["--etcd-api", "memory"]
        process.arguments = ["--host", "127.0.0.1", "--port", "\(port)", "--log-level", "error"] + store + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if let connection = try? RawConnection(port: port) {
                connection.send("GET /healthz HTTP/1.0\r\n\r\n")
                if let response = try? await connection.response(timeout: .seconds(2)), response.status == 200 { return }
            }
            guard process.isRunning else { throw TestFailure("storage-service exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw TestFailure("storage-service never answered on port \(port)")
    }

    func connect() throws -> RawConnection { try RawConnection(port: port) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitForExit()
    }

    deinit { stop() }
}
