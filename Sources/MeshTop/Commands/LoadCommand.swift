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
            Stops after -n requests or -d duration (default 10s when neither is given).
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

    func validate() throws {
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
    }
}
