import Collectors
import Foundation

/// A real etcd 3.4 on free loopback ports with its data in a temporary directory, alone
/// or as one member of a test cluster. Started and stopped by the tests themselves; keeps
/// its data across stop/start so a restart is a restart, not a new cluster. Each test
/// drives its servers from one task at a time, which is why the process handle needs no lock.
public final class EtcdServer: @unchecked Sendable {
    public static let binary: String? = Tool.find("etcd")

    /// Tests that need etcd run when it is installed; under CI they always run, so a
    /// missing binary fails them instead of skipping them.
    public static var shouldRun: Bool { binary != nil || Tool.underCI }

    public let name: String
    public let clientPort: Int
    public let peerPort: Int
    public let enableV2: Bool
    let directory: URL
    /// `name=peerURL,…` of the whole cluster; just this member when alone.
    var initialCluster: String
    /// Set for a server that only accepts TLS clients with a certificate of its CA.
    public private(set) var certificates: TestCertificates?
    private var process: Process?
    private let logURL: URL

    public var clientURL: String { "\(certificates == nil ? "http" : "https")://127.0.0.1:\(clientPort)" }
    public var peerURL: String { "http://127.0.0.1:\(peerPort)" }
    public var isRunning: Bool { process?.isRunning == true }

    /// A single-member cluster, started and healthy.
    public convenience init(enableV2: Bool = false, mutualTLS: Bool = false) async throws {
        try self.init(name: "default", enableV2: enableV2, mutualTLS: mutualTLS)
        try await start()
    }

    init(name: String, enableV2: Bool, mutualTLS: Bool = false) throws {
        self.name = name
        self.enableV2 = enableV2
        clientPort = FreePort.next()
        peerPort = FreePort.next()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("etcd.log")
        initialCluster = "\(name)=http://127.0.0.1:\(peerPort)"
        if mutualTLS { certificates = try TestCertificates(in: directory) }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public func start() async throws {
        try launch()
        try await waitUntilHealthy()
    }

    /// Starts the process without waiting: members of a new cluster are healthy only once
    /// a quorum of them runs.
    func launch() throws {
        guard let binary = Self.binary else {
            throw TestFailure("etcd is not installed (Debian package etcd-server); `make test` installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--name", name, "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", initialCluster, "--initial-cluster-token", "meshtop-test",
            // Short election timeouts: a test that kills the leader waits for the next one.
            "--heartbeat-interval", "50", "--election-timeout", "500",
        ] + (enableV2 ? ["--enable-v2"] : [])
            + (certificates.map {
                ["--cert-file", $0.serverCert, "--key-file", $0.serverKey, "--trusted-ca-file", $0.ca, "--client-cert-auth"]
            } ?? [])
        try Tool.launch(process, log: logURL)
        self.process = process
    }

    /// SIGTERM and wait: the port is closed when this returns.
    public func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitForExit()
        self.process = nil
    }

    /// SIGSTOP: connections are still accepted by the kernel but nothing answers.
    public func freeze() { if let process { kill(process.processIdentifier, SIGSTOP) } }
    public func thaw() { if let process { kill(process.processIdentifier, SIGCONT) } }

    public func waitUntilHealthy(within seconds: TimeInterval = 60) async throws {
        let url = clientURL + "/health"
        let tls = certificates.map { CurlTLS(caFile: $0.ca, certFile: $0.clientCert, keyFile: $0.clientKey) }
        try await Tool.waitUntil("etcd \(name) healthy", within: seconds, log: logTail) {
            if let process, !process.isRunning {
                throw TestFailure("etcd exited with \(process.terminationStatus):\n\(self.logTail())")
            }
            let response = try? await OffPool.run {
                try CurlEasy().perform(CurlRequest(url: url, connectTimeoutMilliseconds: 200, totalTimeoutMilliseconds: 500, tls: tls))
            }
            return response.map { $0.status == 200 && String(decoding: $0.body, as: UTF8.self).contains("true") } ?? false
        }
    }

    public func logTail() -> String { Tool.tail(of: logURL) }
}

/// A three-member (or n-member) etcd cluster on loopback.
public final class EtcdCluster: @unchecked Sendable {
    public let members: [EtcdServer]

    public init(size: Int = 3, enableV2: Bool = false) async throws {
        var members: [EtcdServer] = []
        for index in 1...size { members.append(try EtcdServer(name: "m\(index)", enableV2: enableV2)) }
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        for member in members {
            member.initialCluster = cluster
            try member.launch()
        }
        for member in members { try await member.waitUntilHealthy(within: 30) }
        self.members = members
    }

    public var clientURLs: [String] { members.map(\.clientURL) }

    public func stopAll() { members.forEach { $0.stop() } }
}
