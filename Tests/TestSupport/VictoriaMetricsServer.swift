import Collectors
import Foundation

/// A real single-node VictoriaMetrics (Debian's 1.79) on a free loopback port, its data in a
/// temporary directory: scraping the given jobs itself (`-promscrape.config`), and taking
/// Prometheus's remote write at `writeURL` and pushed samples at `importURL`.
public final class VictoriaMetricsServer: @unchecked Sendable {
    public static let binary: String? = Tool.find("victoria-metrics")
    public static var shouldRun: Bool { binary != nil || Tool.underCI }

    public let port = FreePort.next()
    public var url: String { "http://127.0.0.1:\(port)" }
    /// Where a Prometheus's `remote_write` goes.
    public var writeURL: String { url + "/api/v1/write" }
    let directory: URL
    private var process: Process?
    private let logURL: URL

    /// `jobs`: what it scrapes every `interval` (none: it only takes what is written to it).
    public init(scraping jobs: [PrometheusServer.Job] = [], interval: String = "500ms") async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-victoria-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("victoria-metrics.log")
        var arguments = [
            "-httpListenAddr", "127.0.0.1:\(port)",
            "-storageDataPath", directory.appendingPathComponent("data").path,
            "-retentionPeriod", "1d",
            // By default the last 30 s are hidden from queries (samples still arriving) and
            // answers are cached: a test polls a few seconds after the first scrape.
            "-search.latencyOffset", "1s", "-search.disableCache",
        ]
        if !jobs.isEmpty {
            let scrapes = jobs.map { job in
                """
                  - job_name: '\(job.name)'
                    metrics_path: '\(job.metricsPath)'
                    static_configs:
                      - targets: [\(job.targets.map { "'\($0)'" }.joined(separator: ", "))]
                """
            }
            let config = "global:\n  scrape_interval: \(interval)\nscrape_configs:\n" + scrapes.joined(separator: "\n") + "\n"
            let path = directory.appendingPathComponent("scrape.yml")
            try config.write(to: path, atomically: true, encoding: .utf8)
            arguments += ["-promscrape.config", path.path]
        }
        try await start(arguments)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func start(_ arguments: [String]) async throws {
        guard let binary = Self.binary else {
            throw TestFailure("victoria-metrics is not installed (Debian package victoria-metrics); `make test` installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        try Tool.launch(process, log: logURL)
        self.process = process
        let url = self.url
        try await Tool.waitUntil("victoria-metrics ready", within: 30, log: logTail) {
            if !process.isRunning { throw TestFailure("victoria-metrics exited:\n\(self.logTail())") }
            let response = try? await OffPool.run { try CurlEasy().perform(CurlRequest(url: url + "/health", totalTimeoutMilliseconds: 500)) }
            return response?.status == 200
        }
    }

    /// Samples in Prometheus's text format, with millisecond timestamps or without (now).
    public func importSamples(_ exposition: String) async throws {
        let request = CurlRequest(url: url + "/api/v1/import/prometheus", method: "POST", body: Array(exposition.utf8))
        let response = try await OffPool.run { try CurlEasy().perform(request) }
        guard response.status == 204 || response.status == 200 else { throw TestFailure("import: HTTP \(response.status) \(response.text)") }
        // Imported rows reach the search after the in-memory buffers are flushed (about a second).
        let flush = CurlRequest(url: url + "/internal/force_flush")
        _ = try? await OffPool.run { try CurlEasy().perform(flush) }
    }

    public func stop() {
        Tool.stop(process)
        process = nil
    }

    public func logTail() -> String { Tool.tail(of: logURL) }
}
