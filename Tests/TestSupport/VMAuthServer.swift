import Collectors
import Foundation

/// A real vmauth (Debian's, VictoriaMetrics 1.79) on a free loopback port: the auth proxy in
/// front of VictoriaMetrics. Each user is a bearer token whose requests under `paths` (regular
/// expressions, vmauth's `src_paths`) go to `backend`, with `headers` added; anything else
/// is refused (401 without a token, 400 outside the paths).
public final class VMAuthServer: @unchecked Sendable {
    public static let binary: String? = Tool.find("vmauth")
    public static var shouldRun: Bool { binary != nil || Tool.underCI }

    public struct User: Sendable {
        public var bearerToken: String
        public var paths: [String]
        public var backend: String
        public var headers: [String]

        public init(bearerToken: String, paths: [String], backend: String, headers: [String] = []) {
            self.bearerToken = bearerToken
            self.paths = paths
            self.backend = backend
            self.headers = headers
        }
    }

    public let port = FreePort.next()
    public var url: String { "http://127.0.0.1:\(port)" }
    let directory: URL
    private var process: Process?
    private let logURL: URL

    public init(users: [User]) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-vmauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("vmauth.log")
        // YAML's single quotes take everything literally but a quote, which is doubled.
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        let entries = users.map { user in
            var entry = """
                - bearer_token: \(quoted(user.bearerToken))
                  url_map:
                  - src_paths: [\(user.paths.map(quoted).joined(separator: ", "))]
                    url_prefix: \(quoted(user.backend))
                """
            if !user.headers.isEmpty { entry += "\n    headers: [\(user.headers.map(quoted).joined(separator: ", "))]" }
            return entry
        }
        let config = "users:\n" + entries.joined(separator: "\n") + "\n"
        let path = directory.appendingPathComponent("auth.yml")
        try config.write(to: path, atomically: true, encoding: .utf8)
        guard let binary = Self.binary else {
            throw TestFailure("vmauth is not installed (Debian package victoria-metrics); `make test` installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-httpListenAddr", "127.0.0.1:\(port)", "-auth.config", path.path]
        try Tool.launch(process, log: logURL)
        self.process = process
        let url = self.url
        try await Tool.waitUntil("vmauth ready", within: 30, log: logTail) {
            if !process.isRunning { throw TestFailure("vmauth exited:\n\(self.logTail())") }
            let response = try? await OffPool.run { try CurlEasy().perform(CurlRequest(url: url + "/health", totalTimeoutMilliseconds: 500)) }
            return response?.status == 200
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public func stop() {
        Tool.stop(process)
        process = nil
    }

    public func logTail() -> String { Tool.tail(of: logURL) }
}
