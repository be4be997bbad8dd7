import Collectors
import Foundation

/// A real etcd 3.4 on free loopback ports with its data in a temporary directory.
/// Started and stopped by the tests themselves; keeps its data across stop/start so a
/// restart is a restart, not a new cluster. Each test drives its server from one task at a
/// time, which is why the mutable process handle needs no lock.
final class EtcdServer: @unchecked Sendable {
    static let binary: String? = {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
            .split(separator: ":").map { "\($0)/etcd" } + ["/usr/bin/etcd"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Tests that need etcd run when it is installed; under CI they always run, so a
    /// missing binary fails them instead of skipping them.
    static var shouldRun: Bool {
        binary != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    let clientPort = FreePort.next()
    let peerPort = FreePort.next()
    let enableV2: Bool
    let directory: URL
    /// Set for a server that only accepts TLS clients with a certificate of its CA.
    private(set) var certificates: TestCertificates?
    private var process: Process?
    private let logURL: URL

    var clientURL: String { "\(certificates == nil ? "http" : "https")://127.0.0.1:\(clientPort)" }

    init(enableV2: Bool = false, mutualTLS: Bool = false) async throws {
        self.enableV2 = enableV2
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("etcd.log")
        if mutualTLS { certificates = try TestCertificates(in: directory) }
        try await start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func start() async throws {
        guard let binary = Self.binary else {
            throw TestFailure("etcd is not installed (Debian package etcd-server); `make test` installs it")
        }
        let peer = "http://127.0.0.1:\(peerPort)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--name", "default", "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=\(peer)",
        ] + (enableV2 ? ["--enable-v2"] : [])
            + (certificates.map {
                ["--cert-file", $0.serverCert, "--key-file", $0.serverKey, "--trusted-ca-file", $0.ca, "--client-cert-auth"]
            } ?? [])
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        try await waitUntilHealthy()
    }

    /// SIGTERM and wait: the port is closed when this returns.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGSTOP: connections are still accepted by the kernel but nothing answers.
    func freeze() { if let process { kill(process.processIdentifier, SIGSTOP) } }
    func thaw() { if let process { kill(process.processIdentifier, SIGCONT) } }

    private func waitUntilHealthy() async throws {
        let deadline = Date().addingTimeInterval(20)
        let url = clientURL + "/health"
        let tls = certificates.map { CurlTLS(caFile: $0.ca, certFile: $0.clientCert, keyFile: $0.clientKey) }
        while Date() < deadline {
            if let process, !process.isRunning {
                throw TestFailure("etcd exited with \(process.terminationStatus):\n\(logTail())")
            }
            let response = try? await OffPool.run {
                try CurlEasy().perform(CurlRequest(url: url, connectTimeoutMilliseconds: 200, totalTimeoutMilliseconds: 500, tls: tls))
            }
            if let response, response.status == 200, String(decoding: response.body, as: UTF8.self).contains("true") {
                return
            }
            try await Task.sleep(for: .milliseconds(50))  // poll interval of a readiness check
        }
        throw TestFailure("etcd did not become healthy within 20 s:\n\(logTail())")
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
