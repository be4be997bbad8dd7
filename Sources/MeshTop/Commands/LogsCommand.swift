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
            or an Envoy format string. This release reads sources to their end (--no-follow); following \
            files and Kubernetes pods comes next.
            """)

    @Argument(help: "Files, or - for stdin.")
    var sources: [String] = []

    @Flag(inversion: .prefixedNo, help: "Keep reading as the sources grow.")
    var follow = false

    @Flag(help: "Print client/server pairs (and chains of hops) instead of records.")
    var pairs = false

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Print the aggregate at the end.")
    var summary = false

    @Option(help: "Only lines matching this regular expression.")
    var grep: String?

    @Option(help: "auto, a built-in format name, json, or an Envoy format string.")
    var format = "auto"

    func validate() throws {
        if follow {
            throw ValidationError("--follow is not built yet; read to the end with --no-follow")
        }
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
        let printer = LogsPrinter(output: output, pairs: pairs, json: json)
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

/// The state of one `meshtop logs` run: pairing, the aggregate, and what gets printed.
final class LogsPrinter {
    private let output: StdoutWriter
    private let pairs: Bool
    private let json: Bool
    private let text: RecordText
    private var pairer = RequestPairer()
    private var aggregate = AccessLogSummary()

    init(output: StdoutWriter, pairs: Bool, json: Bool) {
        self.output = output
        self.pairs = pairs
        self.json = json
        self.text = RecordText(color: output.isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    func add(_ record: AccessLogRecord) {
        aggregate.add(record)
        if !pairs { output.line(json ? JSONLine.encode(record) : text.line(for: record)) }
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
            guard pairs else { continue }
            switch event {
            case .pair(let pair): output.line(json ? JSONLine.encode(pair) : text.line(for: pair))
            case .chain(let chain): output.line(json ? JSONLine.encode(chain) : text.line(for: chain))
            }
        }
    }
}
