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

    // Unconditional: `--rps -1` is a bad value to report, not a missing one.
    @Option(parsing: .unconditional, help: "Requests per second, on a fixed schedule (0.01 to 1000000).")
    var rps: Double?

    @Option(name: .customShort("c"), help: "Connections (requests in flight at most).")
    var concurrency = 10

    @Option(name: .customShort("n"), help: "Stop after this many requests.")
    var requests: Int?

    @Option(name: .customShort("d"), help: "Stop after this long, e.g. 30s.")
    var duration: String?

    @Option(name: .customShort("X"), help: "Method.")
    var method = "GET"

    @Option(name: .customShort("H"), help: "A header 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(help: "Request body: text, or @FILE.")
    var body: String?

    @Option(help: "Per-request timeout, e.g. 10s.")
    var timeout = "10s"

    @Option(help: "Write a client-side istio access-log line per request (with a fresh x-request-id) to this file.")
    var accessLog: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if requests != nil, duration != nil { throw ValidationError("give -n or -d, not both") }
        if let requests, requests < 1 { throw ValidationError("-n must be at least 1") }
        if (DurationText.parse(timeout) ?? .zero) <= .zero { throw ValidationError("--timeout '\(timeout)' is not a duration such as 10s") }
        try Self.validate(url: url, rate: rps, concurrency: concurrency, duration: duration, headers: header, method: method, flag: nil)
    }

    /// Requests per second accepted: below one per 100 s a run is a wait, not a load.
    static let rates = 0.01...1_000_000

    /// The checks `meshtop load` and the dashboard's `--load` share.
    static func validate(
        url: String, rate: Double?, concurrency: Int, duration: String?, headers: [String], method: String, flag: String?
    ) throws {
        if let problem = URLCheck.problem(url) { throw ValidationError((flag.map { $0 + " " } ?? "") + problem) }
        if let rate, !rates.contains(rate) { throw ValidationError("--rps must be a number from 0.01 to 1000000") }
        guard HTTPSyntax.isToken(method) else { throw ValidationError("-X must be a method name such as GET (letters, no spaces or line breaks)") }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("-c must be 1 to 10000") }
        if let duration, (DurationText.parse(duration) ?? .zero) <= .zero {
            throw ValidationError("-d '\(duration)' is not a duration such as 30s")
        }
        for line in headers {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, HTTPSyntax.isToken(parts[0].trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("-H '\(line)' is not 'Name: value'")
            }
            guard HTTPSyntax.isFieldValue(String(parts[1])) else {
                throw ValidationError("-H '\(parts[0])': a header value cannot hold a line break or another control byte")
            }
        }
    }

    func plan() throws -> LoadPlan {
        try Self.plan(
            url: url, method: method, headers: header, body: body, rate: rps, concurrency: concurrency, count: requests,
            duration: duration.flatMap(DurationText.parse) ?? (requests == nil ? .seconds(10) : nil),
            timeout: DurationText.parse(timeout) ?? .seconds(10), accessLog: accessLog)
    }

    /// The plan from command-line values (`meshtop load` and the dashboard's `--load`).
    static func plan(
        url: String, method: String, headers: [String], body: String?, rate: Double?, concurrency: Int, count: Int?,
        duration: Duration?, timeout: Duration, accessLog: String?
    ) throws -> LoadPlan {
        var plan = LoadPlan(url: url)
        plan.method = method.uppercased()
        plan.headers = headers.map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]).trimmingCharacters(in: .whitespaces), parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "")
        }
        if let body {
            if body.hasPrefix("@") {
                guard let data = FileManager.default.contents(atPath: String(body.dropFirst())) else {
                    throw ValidationError("--body: cannot read \(body.dropFirst())")
                }
                plan.body = Array(data)
            } else {
                plan.body = Array(body.utf8)
            }
        }
        plan.rate = rate
        plan.concurrency = concurrency
        plan.count = count
        plan.duration = duration
        plan.timeout = timeout
        plan.accessLog = accessLog
        return plan
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
