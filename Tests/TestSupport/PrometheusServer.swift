import Collectors
import Foundation

/// A real Prometheus (Debian's 2.42) on a free loopback port, scraping the given targets
/// every 500 ms, its TSDB in a temporary directory. Restartable on the same port and data.
public final class PrometheusServer: @unchecked Sendable {
    public static let binary: String? = Tool.find("prometheus")
    public static var shouldRun: Bool { binary != nil || Tool.underCI }

    public let port = FreePort.next()
    public var url: String { "http://127.0.0.1:\(port)" }
    let directory: URL
    private var process: Process?
    private let logURL: URL

    public init(scraping targets: [String], interval: String = "500ms") async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("prometheus.log")
        let quoted = targets.map { "'\($0)'" }.joined(separator: ", ")
        let config = """
            global:
              scrape_interval: \(interval)
              evaluation_interval: \(interval)
            scrape_configs:
              - job_name: storage
                static_configs:
                  - targets: [\(quoted)]
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        try await start()
    }

    /// One scrape job: its name (the `job` label of its series) and where its metrics are.
    public struct Job: Sendable {
        public var name: String
        public var targets: [String]
        public var metricsPath: String

        public init(_ name: String, targets: [String], metricsPath: String = "/metrics") {
            self.name = name
            self.targets = targets
            self.metricsPath = metricsPath
        }
    }

    /// Several named jobs, e.g. an Envoy's admin `/stats/prometheus` as `istio-ingressgateway`;
    /// with `remoteWrite`, every sample is also written there (a VictoriaMetrics' `/api/v1/write`).
    public init(jobs: [Job], interval: String = "500ms", remoteWrite: String? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("prometheus.log")
        let scrapes = jobs.map { job in
            """
              - job_name: '\(job.name)'
                metrics_path: '\(job.metricsPath)'
                static_configs:
                  - targets: [\(job.targets.map { "'\($0)'" }.joined(separator: ", "))]
            """
        }
        let config = """
            global:
              scrape_interval: \(interval)
              evaluation_interval: \(interval)
            scrape_configs:
            \(scrapes.joined(separator: "\n"))
            """
            // Sent at once, not in batches that wait for more: a test reads them seconds later.
            + (remoteWrite.map { "\nremote_write:\n  - url: '\($0)'\n    queue_config: {batch_send_deadline: 500ms}\n" } ?? "")
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        try await start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public func start() async throws {
        guard let binary = Self.binary else {
            throw TestFailure("prometheus is not installed (Debian package prometheus); `make test` installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file", directory.appendingPathComponent("prometheus.yml").path,
            "--storage.tsdb.path", directory.appendingPathComponent("data").path,
            "--web.listen-address", "127.0.0.1:\(port)",
        ]
        try Tool.launch(process, log: logURL)
        self.process = process
        let url = self.url
        try await Tool.waitUntil("prometheus ready", within: 30, log: logTail) {
            if !process.isRunning { throw TestFailure("prometheus exited:\n\(self.logTail())") }
            let response = try? await OffPool.run { try CurlEasy().perform(CurlRequest(url: url + "/-/ready", totalTimeoutMilliseconds: 500)) }
            return response?.status == 200
        }
    }

    public func stop() {
        Tool.stop(process)
        process = nil
    }

    public func logTail() -> String { Tool.tail(of: logURL) }
}
