import ArgumentParser
import Collectors
import Foundation

/// What a load sends and how fast: `meshtop load URL` and the dashboard's `--load URL` share
/// these flags, their checks and the plan they make.
struct TrafficOptions: ParsableArguments {
    // Unconditional: `--rps -1` is a bad value to report, not a missing one.
    @Option(parsing: .unconditional, help: "Requests per second, on a fixed schedule (0.01 to 1000000; default: as fast as -c connections go).")
    var rps: Double?

    @Option(name: .customShort("c"), help: "Connections (requests in flight at most).")
    var concurrency = 10

    @Option(name: .customShort("d"), help: "Stop after this long, e.g. 30s.")
    var duration: String?

    @Option(name: .customShort("X"), help: "Method.")
    var method = "GET"

    @Option(name: .customShort("H"), help: "A header 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(help: "Request body: text, or @FILE.")
    var body: String?

    @Option(help: "Step the rate: START:END:STEP:DURATION in req/s, e.g. 10:400:10:5s (instead of --rps, -n and -d).")
    var ramp: String?

    @Option(help: "What the run, or each ramp step, must stay under: pNN<DURATION, errors<PERCENT, rate>PERCENT, comma-separated.")
    var slo: String?

    /// Requests per second accepted: below one per 100 s a run is a wait, not a load.
    static let rates = 0.01...1_000_000

    /// Whether any of these flags was given (the dashboard takes them only with --load).
    var isSet: Bool {
        rps != nil || duration != nil || body != nil || !header.isEmpty || method != "GET" || concurrency != 10 || ramp != nil
            || slo != nil
    }

    /// - Parameter flag: the flag that gave the URL, named in its error (`--load`), or nil.
    func validate(url: String, flag: String?) throws {
        if let problem = URLCheck.problem(url) { throw ValidationError((flag.map { $0 + " " } ?? "") + problem) }
        if let rps, !Self.rates.contains(rps) { throw ValidationError("--rps must be a number from 0.01 to 1000000") }
        if let ramp {
            if rps != nil || duration != nil {
                throw ValidationError("--ramp sets the rate and the duration of each step: give it without --rps, -n or -d")
            }
            do { _ = try LoadRamp(ramp) } catch { throw ValidationError("--ramp \(error.description)") }
        }
        if let slo {
            do { _ = try LoadSLO(slo) } catch { throw ValidationError("--slo \(error.description)") }
        }
        guard HTTPSyntax.isToken(method) else { throw ValidationError("-X must be a method name such as GET (letters, no spaces or line breaks)") }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("-c must be 1 to 10000") }
        if let duration, (DurationText.parse(duration) ?? .zero) <= .zero {
            throw ValidationError("-d '\(duration)' is not a duration such as 30s")
        }
        for line in header {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, HTTPSyntax.isToken(parts[0].trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("-H '\(line)' is not 'Name: value'")
            }
            guard HTTPSyntax.isFieldValue(String(parts[1])) else {
                throw ValidationError("-H '\(parts[0])': a header value cannot hold a line break or another control byte")
            }
        }
    }

    /// `--ramp` and `--slo`, parsed (validate has checked them).
    func steps() throws -> (ramp: LoadRamp?, slo: LoadSLO?) {
        (try ramp.map { try LoadRamp($0) }, try slo.map { try LoadSLO($0) })
    }

    /// The plan; `duration` is the default when -d is not given.
    func plan(url: String, count: Int?, duration defaultDuration: Duration?, timeout: Duration, accessLog: String?) throws -> LoadPlan {
        var plan = LoadPlan(url: url)
        plan.method = method.uppercased()
        plan.headers = header.map { line in
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
        plan.rate = rps
        plan.concurrency = concurrency
        plan.count = count
        plan.duration = duration.flatMap(DurationText.parse) ?? defaultDuration
        plan.timeout = timeout
        plan.accessLog = accessLog
        return plan
    }
}
