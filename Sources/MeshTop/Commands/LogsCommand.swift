import ArgumentParser
import Collectors
import Foundation

/// `meshtop logs`: access-log records, pairs or a summary from files or stdin.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Read istio-proxy access logs: records, client/server pairs, per-hop time, or a summary.",
        discussion: """
            SOURCE is a file, - for stdin (the default when stdin is not a terminal), or \
            k8s:[NAMESPACE/]SELECTOR for the istio-proxy logs of matching pods (kubectl on PATH). \
            Formats: auto (default), istio, istio-1.8, istio-1.3, istio-1.2, istio-1.1, istio-1.0, envoy, json, \
            or an Envoy format string. Files are followed (tail -F) unless --no-follow is given; \
            with --follow --summary (or --hops) the aggregate is printed every 5 seconds. Kubernetes sources are \
            followed too, pods joining and leaving reported on stderr; with --no-follow they print what \
            the running pods have logged so far and exit.
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

    @Flag(
        help: """
            Print where the requests' time went, hop by hop (each proxy's own time, the network between \
            proxies, the app's time outside its calls): at the end, or every 5 s with --follow.
            """)
    var hops = false

    @Option(help: "Only lines matching this POSIX extended regular expression (no back-references).")
    var grep: String?

    @OptionGroup var logFormat: LogFormatOption

    @Option(help: "kubectl context for k8s: sources.")
    var context: String?

    @Option(name: [.customShort("n"), .long], help: "Namespace for k8s: sources that name none.")
    var namespace: String?

    @Option(help: "How often k8s: sources list their pods, e.g. 5s.")
    var relist = "5s"

    @Option(help: "Read the log lines kept in a recording (meshtop record, --record) instead of SOURCEs, each with its source.")
    var from: String?

    /// Following is the default as soon as one source is a file or a k8s selector.
    var following: Bool { follow ?? sources.contains { $0 != "-" } }

    func validate() throws {
        // --summary with --pairs has always meant the summary; --hops is a third output.
        if hops, pairs || summary {
            throw ValidationError("--hops is an output of its own, not one with --pairs or --summary: give one")
        }
        for source in sources where source.hasPrefix("k8s:") && KubernetesSource.Target(source) == nil {
            throw ValidationError("'\(source)' is not k8s:[NAMESPACE/]SELECTOR")
        }
        guard let interval = DurationText.parse(relist), interval > .zero else {
            throw ValidationError("--relist '\(relist)' is not a duration such as 5s")
        }
        _ = interval
        if from != nil {
            guard sources.isEmpty else { throw ValidationError("--from reads a recording: give it without SOURCEs") }
            guard follow != true else { throw ValidationError("--from reads a recording to its end: give it without --follow") }
            return
        }
        if sources.isEmpty, isatty(STDIN_FILENO) != 0 {
            throw ValidationError("no SOURCE given and stdin is a terminal")
        }
    }

    func run() throws {
        let choice = try logFormat.choice()
        var filter: ((UnsafeBufferPointer<UInt8>) -> Bool)?
        if let grep {
            // POSIX ERE in linear time (LinePattern): a pattern from the command line must not
            // be able to hang the reader by backtracking.
            let pattern: LinePattern
            do {
                pattern = try LinePattern(grep)
            } catch {
                throw ValidationError("--grep \(error.description)")
            }
            filter = { pattern.matches($0) }
        }
        let output = StdoutWriter()
        defer { output.flush() }
        let printer = LogsPrinter(output: output, mode: summary ? .summary : hops ? .hops : pairs ? .pairs : .records, json: json)
        if let from {
            try replay(from, choice: choice, filter: filter, printer: printer)
            try output.finish()
            return
        }
        if following {
            try followSources(choice: choice, filter: filter, printer: printer, output: output)
            return
        }
        var clusters: [KubernetesSource] = []
        defer {
            for failure in clusters.flatMap({ $0.currentLogFailures() }) {
                Stderr.line("meshtop: \(failure)")
            }
        }
        do {
            var readers: [LineReader] = []
            for path in sources.isEmpty ? ["-"] : sources {
                if let target = KubernetesSource.Target(path) {
                    // What the pods have logged so far, like `kubectl logs` without -f.
                    let cluster = KubernetesSource(target: target, context: context, namespace: namespace)
                    clusters.append(cluster)
                    readers += try cluster.currentLogs()
                } else {
                    readers.append(try LineReader(path: path))
                }
            }
            if summary {
                let lines = MergedLines<LineDigest>(readers: readers, format: choice, grep: filter)
                // The hot loop: local state only, a digest per line.
                var tally = AccessLogTally()
                while let digest = try lines.next(decode: { decoder, line, _ in
                    tally.count(line, decoder: &decoder).map { ($0, $0.time) }
                }) {
                    tally.pair(digest)
                }
                tally.finish()
                try printer.printSummary(
                    tally.summary, unpaired: tally.unpaired, malformed: lines.malformed, samples: lines.malformedSamples)
            } else if printer.mode == .records {
                // Records keep their sources' order, one source after the other.
                for reader in readers {
                    var decoder = AccessLogDecoder(choice)
                    while let line = try reader.nextLine() {
                        if let filter, !filter(line) { continue }
                        printer.consume(line, source: reader.name, decoder: &decoder)
                    }
                }
            } else if printer.mode == .pairs {
                let lines = MergedLines<HeldLine>(readers: readers, format: choice, grep: filter)
                while let line = try lines.next(decode: { decoder, line, source in
                    printer.held(&decoder, line, source: source).map { ($0, $0.pairingTime) }
                }) {
                    printer.add(line)
                }
                printer.finish()
            } else {
                let lines = MergedLines<AccessLogRecord>(readers: readers, format: choice, grep: filter)
                while let record = try lines.next(decode: { decoder, line, source in printer.record(&decoder, line, source: source) }) {
                    printer.add(record)
                }
                printer.finish()
                printer.printHops()
            }
        } catch {
            output.flush()
            Stderr.line("meshtop: \(error)")
            throw ExitCode(2)
        }
        try output.finish()
    }
}

extension LogsCommand {
    /// `--from`: the recording's log lines in the order they came, each source with its own
    /// decoder, as if they were being followed.
    func replay(
        _ path: String, choice: AccessLogDecoder.Choice, filter: ((UnsafeBufferPointer<UInt8>) -> Bool)?, printer: LogsPrinter
    ) throws {
        let reader: RecordingReader
        do { reader = try RecordingReader(path: path) } catch { throw ValidationError("--from \(error.description)") }
        var decoders: [String: AccessLogDecoder] = [:]
        while let frame = reader.next() {
            guard frame.kind == RecordingFrame.Kind.logLine.rawValue, frame.fields.count >= 2 else { continue }
            let source = frame.text(0)
            var decoder = decoders.removeValue(forKey: source) ?? AccessLogDecoder(choice)
            frame.fields[1].withUnsafeBufferPointer { line in
                if filter?(line) ?? true { printer.consume(line, source: source, decoder: &decoder) }
            }
            decoders[source] = decoder
        }
        printer.finish()
        if summary || hops {
            try printer.printAggregate(
                malformed: decoders.values.reduce(0) { $0 + $1.malformed }, samples: decoders.values.flatMap(\.malformedSamples))
        }
        if let cut = reader.cut { Stderr.line("meshtop: --from \(ControlBytes.sanitize(path)): read up to the damage: \(cut)") }
        if reader.endsInsideAFrame {
            Stderr.line("meshtop: --from \(ControlBytes.sanitize(path)): ends inside a frame (still being written, or cut short): read up to there")
        }
    }

    /// Reads every source as it grows until interrupted; a summary every 5 s with --summary.
    func followSources(
        choice: AccessLogDecoder.Choice, filter: ((UnsafeBufferPointer<UInt8>) -> Bool)?, printer: LogsPrinter,
        output: StdoutWriter
    ) throws {
        let inputs: LogInputs
        do {
            inputs = try LogInputs(
                sources: sources.isEmpty ? ["-"] : sources, fromStart: fromStart, format: choice, context: context,
                namespace: namespace, relist: DurationText.parse(relist) ?? .seconds(5))
        } catch {
            Stderr.line("meshtop: \(error.description)")
            throw ExitCode(2)
        }
        defer { inputs.stop() }
        StopSignal.install()
        var lastSummary = ContinuousClock.now
        while !output.closed, !StopSignal.requested {
            let read = inputs.read { bytes, source, decoder in
                if let filter, !filter(bytes) { return }
                printer.consume(bytes, source: source, decoder: &decoder)
            }
            for note in read.notes {
                switch note {
                case .joined, .left: Stderr.line(note.text)
                case .waitingForWriter, .writerConnected, .failed: Stderr.line("meshtop: " + note.text)
                }
            }
            if summary || hops, ContinuousClock.now - lastSummary >= .seconds(5) {
                try printer.printAggregate(malformed: inputs.malformed, samples: inputs.malformedSamples)
                lastSummary = ContinuousClock.now
            }
            output.flush()
            if read.lines == 0 {
                // Until an input changes; with --summary, no later than the next summary.
                inputs.wait(upTo: summary || hops ? max(.milliseconds(10), .seconds(5) - (ContinuousClock.now - lastSummary)) : .seconds(1))
            }
        }
        // Interrupted: what is still open leaves the window, and a last summary says so.
        printer.finish()
        if summary || hops { try printer.printAggregate(malformed: inputs.malformed, samples: inputs.malformedSamples) }
    }
}

/// The state of one `meshtop logs` run: what gets printed, and only the work it needs.
///
/// Records are printed as they come; --pairs keeps records in the pairer; --hops adds each
/// request's chain, one hop or more, to a `HopTable`; --summary counts lines as they are
/// parsed and pairs them as `LineDigest`s (`AccessLogTally`).
final class LogsPrinter {
    enum Mode { case records, pairs, hops, summary }

    private let output: StdoutWriter
    let mode: Mode
    private let json: Bool
    private let text: RecordText
    private var recordPairer: RequestPairer
    private var tally = AccessLogTally()
    private var hopTable = HopTable()
    /// The source of the lines printed last, as text and as a JSON string: most lines come
    /// from the same source as the line before.
    private var origin: (name: String, text: [UInt8], json: [UInt8])?
    /// --pairs holds lines as their bytes (`HeldLine`), not as records.
    private var heldPairer = LinePairer<HeldLine>()
    private var times = EnvoyTimestampReader()
    /// Each source as a JSON string, for the pairs written from held lines.
    private var quotedSources: [String: [UInt8]] = [:]

    init(output: StdoutWriter, mode: Mode, json: Bool) {
        self.output = output
        self.mode = mode
        self.json = json
        // --hops takes a request once its id leaves the window: 10 s of log time, not 60, so
        // that a followed table is at most that far behind (a hop's two lines are written
        // within its flush interval of each other).
        recordPairer = mode == .hops ? RequestPairer(window: .seconds(10), chainsOfOne: true) : RequestPairer()
        self.text = RecordText(color: output.isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    func record(
        _ decoder: inout AccessLogDecoder, _ line: UnsafeBufferPointer<UInt8>, source: String
    ) -> (AccessLogRecord, Int64?)? {
        guard var record = decoder.decode(bytes: line) else { return nil }
        record.origin = source
        // The log time orders several sources; one source is read in its own order.
        return (record, mode == .pairs || mode == .hops ? record.pairingTime : nil)
    }

    /// A line from a source.
    func consume(_ line: UnsafeBufferPointer<UInt8>, source: String, decoder: inout AccessLogDecoder) {
        if mode == .summary {
            tally.add(line, decoder: &decoder)
        } else if mode == .records {
            printRecord(line, source: source, decoder: &decoder)
        } else if mode == .pairs {
            if let held = held(&decoder, line, source: source) { add(held) }
        } else if let (record, _) = record(&decoder, line, source: source) {
            add(record)
        }
    }

    /// A line printed as its record, written from its bytes when it is in a text format
    /// (the common case, several times faster than making the record first).
    private func printRecord(_ line: UnsafeBufferPointer<UInt8>, source: String, decoder: inout AccessLogDecoder) {
        if origin?.name != source {
            var quoted: [UInt8] = []
            JSONValue.writeString(source, into: &quoted)
            origin = (source, Array(text.field(source).utf8), quoted)
        }
        let origin = origin!
        _ = decoder.read(
            line,
            text: { parser, fields in
                if json {
                    output.line(reserving: parser.jsonBound(fields, origin: origin.json)) {
                        parser.writeJSON(fields, origin: origin.json, into: &$0)
                    }
                } else {
                    output.line(reserving: RecordText.bound(fields, origin: origin.text)) {
                        text.write(fields, origin: origin.text, into: &$0)
                    }
                }
            },
            json: { record in
                var record = record
                record.origin = source
                add(record)
            })
    }

    /// A line as the --pairs pairer holds it.
    func held(_ decoder: inout AccessLogDecoder, _ line: UnsafeBufferPointer<UInt8>, source: String) -> HeldLine? {
        decoder.read(
            line, text: { parser, fields in HeldLine(fields, parser: parser, source: source, times: &times) },
            json: { HeldLine(record: $0, source: source) })
    }

    func add(_ line: HeldLine) {
        heldPairer.add(line) { print($0) }
    }

    func add(_ record: AccessLogRecord) {
        guard mode == .pairs || mode == .hops else {
            if json { output.line(writing: record.writeJSON) } else { output.line(colored: text.line(for: record)) }
            return
        }
        print(recordPairer.add(record))
    }

    /// End of input: the pairing window lets go of everything.
    func finish() {
        switch mode {
        case .summary: tally.finish()
        case .pairs: heldPairer.flush { print($0) }
        case .hops: print(recordPairer.flush())
        case .records: break
        }
    }

    /// --summary's or --hops' figures so far.
    func printAggregate(malformed: Int, samples: [String]) throws {
        if mode == .hops { printHops() } else { try printSummary(malformed: malformed, samples: samples) }
    }

    /// --hops: the table, or one JSON object per hop.
    func printHops() {
        guard mode == .hops else { return }
        let report = HopReport(table: hopTable)
        if json {
            for line in report.jsonLines() { output.line(line) }
        } else {
            for line in report.textLines() { output.line(line) }
        }
    }

    /// The summary so far; ids still in the window are not yet counted as unpaired.
    func printSummary(malformed: Int, samples: [String]) throws {
        try printSummary(tally.summary, unpaired: tally.unpaired, malformed: malformed, samples: samples)
    }

    func printSummary(_ summary: AccessLogSummary, unpaired: UnpairedCounts, malformed: Int, samples: [String]) throws {
        let report = SummaryReport(summary: summary, unpaired: unpaired, malformed: malformed, samples: samples)
        if json {
            output.line(try JSONLine.encode(report))
        } else {
            for line in report.textLines() { output.line(line) }
        }
    }

    /// A pair or chain of held lines: JSON straight from their bytes, else as records.
    private func print(_ event: LinePairer<HeldLine>.Event) {
        switch event {
        case .pair(let hop) where json && hop.isText:
            let origins = origins(of: hop)
            output.line(reserving: hop.jsonBound(origins: origins)) { hop.writeJSON(origins: origins, into: &$0) }
        case .chain(let hops) where json && hops.allSatisfy(\.isText):
            let bound = hops.reduce(64) { $0 + $1.jsonBound(origins: origins(of: $1)) }
            output.line(reserving: bound) { LinePairer<HeldLine>.Hop.writeChainJSON(hops, origins: origins, into: &$0) }
        case .pair(let hop):
            print([.paired(Self.pair(hop))])
        case .chain(let hops):
            let pairs = hops.map(Self.pair)
            print([.chain(RequestChain(requestID: pairs.first?.requestID ?? "", hops: pairs))])
        }
    }

    private static func pair(_ hop: LinePairer<HeldLine>.Hop) -> RequestPair {
        let client = hop.client.record
        return RequestPair(requestID: client.pairingKeyText ?? "", client: client, server: hop.server.record)
    }

    private func origins(of hop: LinePairer<HeldLine>.Hop) -> (client: [UInt8], server: [UInt8]) {
        (quoted(hop.client.source), quoted(hop.server.source))
    }

    private func quoted(_ source: String) -> [UInt8] {
        if let known = quotedSources[source] { return known }
        var quoted: [UInt8] = []
        JSONValue.writeString(source, into: &quoted)
        quotedSources[source] = quoted
        return quoted
    }

    private func print(_ events: [PairingEvent]) {
        for event in events {
            switch event {
            case .chain(let chain) where mode == .hops:
                hopTable.add(HopTimes(chain.hops))
            case .paired where mode == .hops: break
            case .paired(let pair):
                if json { output.line(writing: pair.writeJSON) } else { output.line(colored: text.line(for: pair)) }
            case .chain(let chain):
                if json { output.line(writing: chain.writeJSON) } else { output.line(colored: text.line(for: chain)) }
            case .waiting, .alone: break
            }
        }
    }
}
