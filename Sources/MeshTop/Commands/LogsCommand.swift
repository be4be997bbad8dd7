import ArgumentParser
import Collectors
import Foundation

/// `meshtop logs`: access-log records, pairs or a summary from files or stdin.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Read istio-proxy access logs: records, client/server pairs, or a summary.",
        discussion: """
            SOURCE is a file or - for stdin (the default when stdin is not a terminal). \
            Formats: auto (default), istio, istio-1.8, istio-1.3, istio-1.2, istio-1.1, istio-1.0, envoy, json, \
            or an Envoy format string. Files are followed (tail -F) unless --no-follow is given; \
            with --follow --summary the summary is printed every 5 seconds. Kubernetes sources come next.
            """)

    @Argument(help: "Files, or - for stdin.")
    var sources: [String] = []

    @Flag(inversion: .prefixedNo, help: "Keep reading as files grow (default for files; stdin is read to its end).")
    var follow: Bool?

    @Flag(help: "With --follow, read files from their start instead of their end.")
    var fromStart = false

    @Flag(help: "Print client/server pairs (and chains of hops) instead of records.")
    var pairs = false

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Print only the aggregate: at the end, or every 5 s with --follow.")
    var summary = false

    @Option(help: "Only lines matching this regular expression.")
    var grep: String?

    @Option(help: "auto, a built-in format name, json, or an Envoy format string.")
    var format = "auto"

    /// Following is the default as soon as one source is a file.
    var following: Bool { follow ?? sources.contains { $0 != "-" } }

    func validate() throws {
        if sources.isEmpty, isatty(STDIN_FILENO) != 0 {
            throw ValidationError("no SOURCE given and stdin is a terminal")
        }
    }

    func run() throws {
        let choice: AccessLogDecoder.Choice
        do {
            choice = try AccessLogDecoder.choice(for: format)
        } catch {
            throw ValidationError("--format: \(error)")
        }
        var filter: (@Sendable (String) -> Bool)?
        if let grep {
            guard let regex = try? NSRegularExpression(pattern: grep) else {
                throw ValidationError("--grep '\(grep)' is not a valid regular expression")
            }
            filter = { line in regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil }
        }
        let output = StdoutWriter()
        defer { output.flush() }
        let printer = LogsPrinter(output: output, pairs: pairs, json: json, quiet: summary)
        if following {
            try followSources(choice: choice, filter: filter, printer: printer, output: output)
            return
        }
        do {
            var readers: [LineReader] = []
            for path in sources.isEmpty ? ["-"] : sources { readers.append(try LineReader(path: path)) }
            let records = try MergedRecords(readers: readers, format: choice, grep: filter)
            while let record = try records.next() { printer.add(record) }
            printer.finish()
            if summary {
                printer.printSummary(malformed: records.malformed, samples: records.malformedSamples)
            }
        } catch {
            output.flush()
            FileHandle.standardError.write(Data("meshtop: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension LogsCommand {
    /// Polls every source until interrupted; a summary every 5 s with --summary.
    func followSources(
        choice: AccessLogDecoder.Choice, filter: (@Sendable (String) -> Bool)?, printer: LogsPrinter,
        output: StdoutWriter
    ) throws {
        var followers: [(follower: FileFollower, decoder: AccessLogDecoder)] = []
        do {
            for path in sources.isEmpty ? ["-"] : sources {
                followers.append((try FileFollower(path: path, fromStart: fromStart), AccessLogDecoder(choice)))
            }
        } catch {
            FileHandle.standardError.write(Data("meshtop: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        var lastSummary = ContinuousClock.now
        while !output.closed {
            var readAny = false
            for index in followers.indices {
                for line in followers[index].follower.poll() {
                    readAny = true
                    if let filter, !filter(String(decoding: line, as: UTF8.self)) { continue }
                    guard var record = line.withUnsafeBufferPointer({ followers[index].decoder.decode(bytes: $0) }) else {
                        continue
                    }
                    record.source = followers[index].follower.path
                    printer.add(record)
                }
            }
            if summary, ContinuousClock.now - lastSummary >= .seconds(5) {
                printer.printSummary(
                    malformed: followers.reduce(0) { $0 + $1.decoder.malformed },
                    samples: followers.flatMap(\.decoder.malformedSamples))
                lastSummary = ContinuousClock.now
            }
            output.flush()
            if !readAny { usleep(100_000) }  // the poll interval of tail -F, not a synchronisation
        }
    }
}

/// The state of one `meshtop logs` run: pairing, the aggregate, and what gets printed.
final class LogsPrinter {
    private let output: StdoutWriter
    private let pairs: Bool
    private let json: Bool
    private let text: RecordText
    /// With --summary only the aggregate is printed.
    private let quiet: Bool
    private var pairer = RequestPairer()
    private var aggregate = AccessLogSummary()

    init(output: StdoutWriter, pairs: Bool, json: Bool, quiet: Bool) {
        self.output = output
        self.quiet = quiet
        self.pairs = pairs
        self.json = json
        self.text = RecordText(color: output.isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    func add(_ record: AccessLogRecord) {
        aggregate.add(record)
        if !pairs, !quiet { output.line(json ? JSONLine.encode(record) : text.line(for: record)) }
        emit(pairer.add(record))
    }

    func finish() {
        emit(pairer.flush())
    }

    func printSummary(malformed: Int, samples: [String]) {
        let report = SummaryReport(summary: aggregate, unpaired: pairer.unpaired, malformed: malformed, samples: samples)
        if json {
            output.line(JSONLine.encode(report))
        } else {
            for line in report.textLines() { output.line(line) }
        }
    }

    private func emit(_ events: [PairingEvent]) {
        for event in events {
            aggregate.add(event)
            guard pairs, !quiet else { continue }
            switch event {
            case .pair(let pair): output.line(json ? JSONLine.encode(pair) : text.line(for: pair))
            case .chain(let chain): output.line(json ? JSONLine.encode(chain) : text.line(for: chain))
            }
        }
    }
}
