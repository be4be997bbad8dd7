import ArgumentParser
import Collectors
import Foundation

/// `meshtop record FILE`: what the dashboard would receive, kept without the dashboard:
/// every poll's answers (Prometheus, etcd, the service) and every line of the logs, until
/// -d runs out or a signal stops it.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record what meshtop receives (Prometheus and etcd answers, log lines) to FILE, without the dashboard.",
        discussion: """
            Polls as the dashboard does (--interval) and follows --logs from their end. Stops after -d, or at \
            SIGINT/SIGTERM, and prints what it wrote. The file is gzip: it can be read while written, and a cut \
            one reads up to the cut. --record-max bounds it, dropping the oldest part first.
            """)

    @Argument(help: "The recording to write (replaced if it exists).")
    var file: String

    @OptionGroup var endpoints: EndpointOptions

    @Option(name: .customLong("logs"), help: "An access log to record: a file, - for stdin, or k8s:[NAMESPACE/]SELECTOR (repeatable).")
    var logs: [String] = []

    @OptionGroup var logFormat: LogFormatOption

    @Option(name: .customShort("d"), help: "Stop after this long, e.g. 5m (default: until interrupted).")
    var duration: String?

    @Option(help: "The file's bound, e.g. 500MiB; past it the oldest part is dropped, and the file says so.")
    var recordMax: String?

    func validate() throws {
        if let duration, (DurationText.parse(duration) ?? .zero) <= .zero {
            throw ValidationError("-d '\(duration)' is not a duration such as 5m")
        }
        if let recordMax, EndpointOptions.byteSize(recordMax) == nil {
            throw ValidationError("--record-max '\(recordMax)' is not a size such as 500MiB")
        }
        for source in logs where source.hasPrefix("k8s:") && KubernetesSource.Target(source) == nil {
            throw ValidationError("'\(source)' is not k8s:[NAMESPACE/]SELECTOR")
        }
    }

    func run() async throws {
        let choice = try logFormat.choice()
        let resolved = try endpoints.resolve()
        let writer = try RecordOptions.open(file, maxBytes: recordMax.flatMap(EndpointOptions.byteSize), watched: resolved.watched(logs: logs))
        let (config, forwards) = try resolved.open(tap: writer.exchangeTap)
        defer { forwards.forEach { $0.stop() } }
        writer.addSources(config)
        let lines: LogRecorder?
        do {
            lines = logs.isEmpty ? nil : try LogRecorder(sources: logs, format: choice, context: resolved.context, writer: writer)
        } catch {
            throw ValidationError("--logs \(error.source): \(error.reason)")
        }
        StopSignal.install()
        let poller = Poller(config)
        let polling = Task {
            await poller.backfill()
            await poller.run()
        }
        let clock = ContinuousClock()
        let start = clock.now
        let limit = duration.flatMap(DurationText.parse)
        while !StopSignal.requested, limit.map({ clock.now - start < $0 }) ?? true {
            try? await Task.sleep(for: .milliseconds(100))  // a signal sets a flag; nothing to await
        }
        polling.cancel()
        lines?.stop()
        writer.close()
        let elapsed = (clock.now - start).inSeconds
        let totals = writer.totals
        var summary = "recorded \(totals.frames) frames, \(Format.bytes(UInt64(totals.fileBytes))) in \(Format.decimal(elapsed, places: 1)) s"
        if elapsed > 0 { summary += " (\(Format.bytes(UInt64(Double(totals.fileBytes) / elapsed * 60))) a minute)" }
        if totals.droppedBytes > 0 { summary += ", the oldest \(Format.bytes(UInt64(totals.droppedBytes))) dropped" }
        Stderr.line("meshtop: " + summary + " to " + ControlBytes.sanitize(file))
        if let error = totals.error {
            Stderr.line("meshtop: " + ControlBytes.sanitize(error))
            throw ExitCode(1)
        }
    }
}
