import Collectors
import DequeModule

/// One row of the Requests panel: a pair, or a line still without its other side.
struct RequestRow: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case pair, clientOnly, serverOnly }

    var serial: Int
    var kind: Kind
    var client: AccessLogRecord?
    var server: AccessLogRecord?
    var clientLine: String?
    var serverLine: String?
    /// 1 for an id's first pair; 2, 3… for later hops of the same request (a chain).
    var hop: Int

    var requestID: String? { (client ?? server)?.requestID }
    /// The line that describes the request best: the client's when there is one.
    var main: AccessLogRecord? { client ?? server }
    var code: Int? { server?.responseCode ?? client?.responseCode }

    var overheadMilliseconds: Int? {
        guard let client = client?.duration, let server = server?.duration else { return nil }
        return client - server
    }

    /// A 5xx, no answer at all (0), or an Envoy response flag.
    var isError: Bool {
        if let code, code >= 500 || code == 0 { return true }
        return [client?.responseFlags, server?.responseFlags].contains { flags in
            guard let flags else { return false }
            return !flags.isEmpty && flags != "-"
        }
    }

    /// The text `/` filters match against.
    var searchText: String {
        let record = main
        return [record?.method, record?.path, record?.authority, requestID, code.map(String.init), record?.responseFlags, record?.source]
            .compactMap { $0 }.joined(separator: " ")
    }
}

/// The Requests panel's data: lines from the access logs, paired by x-request-id as they
/// arrive. A line waits as a one-sided row until its partner comes, then the two become one
/// pair row; the rows of one request stay together, its hops in chain order. The pairer's
/// counts say how many lines left the window alone.
struct RequestFeed: Sendable {
    static let capacity = 1_000

    private(set) var rows: Deque<RequestRow> = []
    private var pairer = RequestPairer(maxOpenIDs: 20_000, window: .seconds(60))
    private var nextSerial = 0
    /// Open ids: the serials of the id's one-sided rows waiting and of its pair rows.
    private var open: [String: (waiting: [Int], pairs: [Int])] = [:]
    private(set) var lines = 0
    var malformed = 0

    var paired: Int { pairer.pairCount }
    var unpaired: UnpairedCounts { pairer.unpaired }

    init() {}

    mutating func add(_ record: AccessLogRecord, line: String) {
        lines += 1
        let events = pairer.add(record)
        var pairedNow: RequestPair?
        for case .pair(let pair) in events { pairedNow = pair }
        guard let id = record.requestID, !id.isEmpty else {
            append(Self.lone(record, line: line))
            return
        }
        var state = open[id] ?? ([], [])
        let added: RequestRow
        if let pair = pairedNow {
            // The partner's row becomes the pair: found among the id's waiting rows.
            let partnerSide: RequestRow.Kind = record.isServerSide ? .clientOnly : .serverOnly
            var partnerLine: String?
            if let at = state.waiting.firstIndex(where: { serial in row(serial)?.kind == partnerSide && row(serial)?.main == (record.isServerSide ? pair.client : pair.server) }) {
                partnerLine = remove(serial: state.waiting[at]).flatMap { $0.clientLine ?? $0.serverLine }
                state.waiting.remove(at: at)
            }
            added = RequestRow(
                serial: 0, kind: .pair, client: pair.client, server: pair.server,
                clientLine: record.isServerSide ? partnerLine : line, serverLine: record.isServerSide ? line : partnerLine,
                hop: 1)
        } else {
            added = Self.lone(record, line: line)
        }
        if state.waiting.isEmpty, state.pairs.isEmpty {
            let serial = append(added)
            if added.kind == .pair { state.pairs = [serial] } else { state.waiting = [serial] }
            open[id] = state
            return
        }
        // One request is one block of rows, its hops in chain order: they pair in whatever
        // order the logs are read (the inner hop's lines are often written first). A chain
        // starts with the hop that started first, and of two that started in the same
        // millisecond, with the one that lasted longer (it holds the other).
        var hops = (state.pairs + state.waiting).sorted().compactMap { remove(serial: $0) } + [added]
        hops.sort { a, b in
            let (startA, startB) = (a.main?.pairingTime ?? 0, b.main?.pairingTime ?? 0)
            return startA != startB ? startA < startB : (a.main?.duration ?? 0) > (b.main?.duration ?? 0)
        }
        // The block moves to the top, last hop appended first: the panel shows the newest
        // row on top, so the chain reads down from its first hop.
        state = ([], [])
        for (index, hop) in hops.enumerated().reversed() {
            var hop = hop
            hop.hop = index + 1
            let serial = append(hop)
            if hop.kind == .pair { state.pairs.append(serial) } else { state.waiting.append(serial) }
        }
        open[id] = state
    }

    private static func lone(_ record: AccessLogRecord, line: String) -> RequestRow {
        let server = record.isServerSide
        return RequestRow(
            serial: 0, kind: server ? .serverOnly : .clientOnly, client: server ? nil : record, server: server ? record : nil,
            clientLine: server ? nil : line, serverLine: server ? line : nil, hop: 1)
    }

    @discardableResult
    private mutating func append(_ row: RequestRow) -> Int {
        var row = row
        row.serial = nextSerial
        nextSerial += 1
        rows.append(row)
        while rows.count > Self.capacity, let dropped = rows.popFirst() {
            forget(dropped)
        }
        return row.serial
    }

    /// Rows are kept in serial order, so a serial is found by bisection.
    private func index(of serial: Int) -> Int? {
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].serial < serial { low = middle + 1 } else { high = middle }
        }
        return low < rows.count && rows[low].serial == serial ? low : nil
    }

    private func row(_ serial: Int) -> RequestRow? { index(of: serial).map { rows[$0] } }

    private mutating func remove(serial: Int) -> RequestRow? {
        guard let at = index(of: serial) else { return nil }
        return rows.remove(at: at)
    }

    private mutating func forget(_ row: RequestRow) {
        guard let id = row.requestID, var state = open[id] else { return }
        state.waiting.removeAll { $0 == row.serial }
        state.pairs.removeAll { $0 == row.serial }
        open[id] = state.waiting.isEmpty && state.pairs.isEmpty ? nil : state
    }
}
