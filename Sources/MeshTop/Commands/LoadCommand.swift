import ArgumentParser
import Collectors
import Foundation

/// `meshtop load URL`: drives traffic, like hey / oha, with a fixed schedule when --rps is given.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Send requests to URL at a fixed rate (--rps) or as fast as -c connections go, and report latencies.",
        discussion: """
            With --rps, requests start on schedule even when answers are slow, and each latency counts from \
            when its request was due (no coordinated omission). Without it, -c connections send back to back. \
            Stops after -n requests or -d duration (default 10s when neither is given). \
            --ramp START:END:STEP:DURATION steps the rate instead (e.g. 10:400:10:5s) and reports each step; \
            with --slo 'p99<50ms,errors<0.1%' the first step that breaks it is the knee, and the ramp stops there. \
            Exit status: 0 when the SLO held (to END with --ramp), 1 when it broke or every request failed, 2 for bad usage.
            """)

    @Argument(help: "The URL to load, e.g. http://127.0.0.1:9080/storage/demo.")
    var url: String

    @OptionGroup var traffic: TrafficOptions

    @Option(name: .customShort("n"), help: "Stop after this many requests.")
    var requests: Int?

    @Option(help: "Per-request timeout, e.g. 10s.")
    var timeout = "10s"

    @Option(help: "Write a client-side istio access-log line per request (with a fresh x-request-id) to this file.")
    var accessLog: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Option(
        name: .customLong("logs"),
        help: ArgumentHelp(
            "With --ramp: a proxy's access log (repeatable), followed during the ramp for each step's per-hop time and ledger.",
            discussion: "A file (read from its end), - for stdin, or k8s:[NAMESPACE/]SELECTOR for pods' istio-proxy containers."))
    var logs: [String] = []

    @Option(help: "With --logs: how long the logs must stay quiet after the ramp before the steps are counted (the proxies' flush interval).")
    var logsQuiet = "1s"

    @OptionGroup var logFormat: LogFormatOption

    @Option(help: "With k8s: sources: the kubeconfig context.")
    var context: String?

    func validate() throws {
        if traffic.ramp != nil, requests != nil {
            throw ValidationError("--ramp sets the rate and the duration of each step: give it without --rps, -n or -d")
        }
        if !logs.isEmpty {
            guard traffic.ramp != nil else { throw ValidationError("--logs goes with --ramp: each step's per-hop time") }
            _ = try logFormat.choice()
            if (DurationText.parse(logsQuiet) ?? .zero) <= .zero {
                throw ValidationError("--logs-quiet '\(logsQuiet)' is not a duration such as 1s")
            }
        }
        if requests != nil, traffic.duration != nil { throw ValidationError("give -n or -d, not both") }
        if let requests, requests < 1 { throw ValidationError("-n must be at least 1") }
        if (DurationText.parse(timeout) ?? .zero) <= .zero { throw ValidationError("--timeout '\(timeout)' is not a duration such as 10s") }
        try traffic.validate(url: url, flag: nil)
    }

    func plan() throws -> LoadPlan {
        try traffic.plan(
            url: url, count: requests, duration: requests == nil ? .seconds(10) : nil,
            timeout: DurationText.parse(timeout) ?? .seconds(10), accessLog: accessLog)
    }

    func run() throws {
        let (ramp, slo) = try traffic.steps()
        if let ramp {
            try runRamp(ramp, slo: slo)
            return
        }
        let engine: LoadEngine
        do {
            engine = try LoadEngine(plan: try plan())
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        StopSignal.install()
        let live = isatty(STDERR_FILENO) != 0
        let result = try engine.run(stop: { StopSignal.requested }) { progress in
            guard live else { return }
            var line = "\r\(progress.requests) requests  \(Format.decimal(progress.rate, places: 1)) req/s"
            line += "  p50 \(Format.milliseconds(progress.p50))  p99 \(Format.milliseconds(progress.p99))"
            line += "  \(progress.errors) errors  \(Format.decimal(Double(progress.elapsed.components.seconds), places: 0)) s   "
            FileHandle.standardError.write(Data(line.utf8))  // meshtop's own numbers only
        }
        if live { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        let output = StdoutWriter()
        if json {
            output.line(result.json())
        } else {
            result.text().forEach { output.line($0) }
        }
        try output.finish()
        // Like curl --fail for a whole run: nothing answered, or only with server errors.
        if result.requests > 0, result.statusCodes.keys.allSatisfy({ $0 >= 500 }) {
            Stderr.line("meshtop: every request failed")
            throw ExitCode(1)
        }
        if let broken = slo?.broken(by: result), !broken.isEmpty {
            Stderr.line("meshtop: the SLO broke: " + broken.joined(separator: ", "))
            throw ExitCode(1)
        }
    }

    /// One engine a step, each at its rate for the step's duration; the ramp stops at the
    /// first step that breaks the SLO.
    private func runRamp(_ ramp: LoadRamp, slo: LoadSLO?) throws {
        StopSignal.install()
        let live = isatty(STDERR_FILENO) != 0
        let rates = ramp.rates
        var report = RampReport(ramp: ramp, slo: slo)
        let rampLogs: RampLogs?
        do {
            rampLogs = logs.isEmpty ? nil : try RampLogs(sources: logs, format: try logFormat.choice(), context: context)
        } catch let error as LogSourceError {
            throw ValidationError("--logs \(error.source): \(error.reason)")
        }
        var runner = RampRunner(ramp: ramp, slo: slo, plan: try plan())
        if let rampLogs { runner.sink = { record, _ in rampLogs.keep(record) } }
        let outcome: RampRunner.Outcome
        do {
            outcome = try runner.run(stop: { StopSignal.requested }) { index, rate, progress in
                guard live else { return }
                var line = "\rstep \(index + 1)/\(rates.count)  target \(Format.rate(rate)) req/s  \(Format.rate(progress.rate)) req/s"
                line += "  p99 \(Format.milliseconds(progress.p99))  \(progress.errors) errors   "
                FileHandle.standardError.write(Data(line.utf8))  // meshtop's own numbers only
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        report.steps = outcome.steps
        report.interrupted = outcome.interrupted
        let starts = outcome.starts
        if let rampLogs {
            let end = Int64(Date().timeIntervalSince1970 * 1_000)
            if live { FileHandle.standardError.write(Data("\r\u{1b}[Kreading the proxies' logs…".utf8)) }
            rampLogs.settle(quiet: DurationText.parse(logsQuiet) ?? .seconds(1))
            let authority = try plan().authority
            let (tables, ledgers, truncated, malformed, notes) = rampLogs.steps(starts: starts, end: end, loadAuthority: authority)
            for note in notes { Stderr.line("meshtop: --logs: " + ControlBytes.sanitize(note)) }
            report.logsMalformed = malformed
            for index in report.steps.indices {
                report.steps[index].hops = tables[index]
                report.steps[index].ledger = TelemetryLedger(
                    lines: ledgers[index], counts: nil, sent: report.steps[index].result.requests, loadAuthority: authority)
            }
            report.logsTruncated = truncated
        }
        if live { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        let output = StdoutWriter()
        if json { output.line(try report.json()) } else { report.text().forEach { output.line($0) } }
        try output.finish()
        if !report.heldToTarget { throw ExitCode(1) }
    }
}
