import Collectors
import Foundation

/// The built storage-service, started on a free port against an etcd.
public final class ServiceProcess: @unchecked Sendable {
    public let port = FreePort.next()
    public var url: String { "http://127.0.0.1:\(port)" }
    private let process = Process()

    public init(etcd: String, arguments: [String] = []) async throws {
        let binary = BuiltBinary.url("storage-service")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestFailure("build storage-service first") }
        process.executableURL = binary
        process.arguments = ["--host", "127.0.0.1", "--port", "\(port)", "--etcd", etcd, "--log-level", "error"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let url = self.url
        try await Tool.waitUntil("storage-service answers", within: 60) {
            let response = try? await OffPool.run { try CurlEasy().perform(CurlRequest(url: url + "/", totalTimeoutMilliseconds: 500)) }
            return response?.status == 200
        }
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitForExit()
        }
    }
}
