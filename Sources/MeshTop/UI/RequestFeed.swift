import Collectors
import DequeModule

/// One row of the Requests panel: a hop's two lines, or a line still without its other side.
struct RequestRow: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case pair, clientOnly, serverOnly }
    enum Content: Sendable, Equatable {
        case pair(RequestPair)
        case line(LoggedLine)
    }

    var content: Content
    /// 1 for a request's first hop; 2, 3… for its later hops (a chain).
    var hop = 1

    var kind: Kind {
        switch content {
        case .pair: .pair
        case .line(let line): line.record.isServerSide ? .serverOnly : .clientOnly
        }
    }

    var clientLine: LoggedLine? {
        switch content {
        case .pair(let pair): pair.clientLine
        case .line(let line): line.record.isServerSide ? nil : line
        }
    }

    var serverLine: LoggedLine? {
        switch content {
        case .pair(let pair): pair.serverLine
        case .line(let line): line.record.isServerSide ? line : nil
        }
    }

    var client: AccessLogRecord? { clientLine?.record }
    var server: AccessLogRecord? { serverLine?.record }
    /// The line that describes the request best: the client's when there is one.
    var mainLine: LoggedLine? { clientLine ?? serverLine }
    var main: AccessLogRecord? { mainLine?.record }
    /// The x-request-id, or for a ztunnel connection the addresses that pair it.
    var requestID: String? { main?.pairingKeyText }
    var code: Int? { server?.responseCode ?? client?.responseCode }

    var overheadMilliseconds: Int? {
        if case .pair(let pair) = content { return pair.overheadMilliseconds }
        return nil
    }

    /// `RequestOutcome`'s error, on either side of the hop.
    var isError: Bool { client?.isError == true || server?.isError == true }

    /// The text `/` filters match against.
    var searchText: String {
        let record = main
        let connection = record?.connection.map { _ in ConnectionText.route(record) }
        return [connection, record?.method, record?.path, record?.authority, requestID, code.map(String.init), record?.responseFlags, record?.origin]
            .compactMap { $0 }.joined(separator: " ")
    }
}

/// One request's rows, its hops in chain order (`PairableLine.startsBefore`).
struct RequestBlock: Sendable, Equatable {
    /// Bigger for a block that changed later; names the block in the panel's items.
    var serial: Int
    var requestID: String?
    var rows: [RequestRow]
    /// The id left the pairer's window: no more hops will join.
    var complete = false
}

/// The Requests panel's data: a bounded list of rows kept from the pairer's events alone
/// (`RequestPairer` with `reportsWaiting`). A waiting line is a one-sided row until its
/// hop pairs, then the two are one row; a request's rows stay together as one block,
/// which moves to the top whenever it changes.
struct RequestFeed: Sendable {
    static let capacity = 1_000

    /// Oldest first; serials increase along the list.
    private(set) var blocks: Deque<RequestBlock> = []
    private var serialOfID: [String: Int] = [:]
    private var nextSerial = 0
    private(set) var rowCount = 0
    private(set) var counts = PairingCounts()
    private(set) var malformed = 0

    var lines: Int { counts.lines }
    var paired: Int { counts.paired }
    var unpaired: UnpairedCounts { counts.unpaired }

    /// Where a row is: its block's place in `blocks` and its place in the block.
    struct Position: Sendable, Equatable {
        var block: Int32
        var row: Int32
    }

    /// Every row's position, newest request first, each request's hops in chain order: a
    /// frame lists a thousand rows, and copies only the rows it shows.
    var positions: [Position] {
        var positions: [Position] = []
        positions.reserveCapacity(rowCount)
        for block in blocks.indices.reversed() {
            for row in blocks[block].rows.indices { positions.append(Position(block: Int32(block), row: Int32(row))) }
        }
        return positions
    }

    subscript(position: Position) -> RequestRow { blocks[Int(position.block)].rows[Int(position.row)] }

    func serial(at position: Position) -> Int { blocks[Int(position.block)].serial }

    /// Every row, in the order of `positions` (tests).
    var rows: [RequestRow] { positions.map { self[$0] } }

    init() {}

    mutating func apply(_ batch: RequestBatch) {
        for event in batch.events { apply(event) }
        counts = batch.counts
        malformed = batch.malformed
    }

    mutating func apply(_ event: PairingEvent) {
        switch event {
        case .alone(let line):
            append(RequestBlock(serial: 0, requestID: nil, rows: [RequestRow(content: .line(line))]))
        case .waiting(let line):
            change(line.record.pairingKeyText ?? "") { $0.rows.append(RequestRow(content: .line(line))) }
        case .paired(let pair):
            change(pair.requestID) { block in
                // The waiting line this pair completed becomes part of the pair's row.
                let numbers = [pair.clientLine.number, pair.serverLine.number]
                block.rows.removeAll { row in
                    if case .line(let line) = row.content { return numbers.contains(line.number) }
                    return false
                }
                block.rows.append(RequestRow(content: .pair(pair)))
            }
        case .chain(let chain):
            guard let serial = serialOfID[chain.requestID], let at = index(of: serial) else { return }
            blocks[at].complete = true
            serialOfID[chain.requestID] = nil
        }
        while rowCount > Self.capacity, let dropped = blocks.popFirst() {
            rowCount -= dropped.rows.count
            if let id = dropped.requestID, serialOfID[id] == dropped.serial { serialOfID[id] = nil }
        }
    }

    func block(serial: Int) -> RequestBlock? { index(of: serial).map { blocks[$0] } }

    func block(requestID: String) -> RequestBlock? { serialOfID[requestID].flatMap(block(serial:)) }

    /// Changes the id's block (a new one when it has none), orders its hops and moves it to the top.
    private mutating func change(_ id: String, _ body: (inout RequestBlock) -> Void) {
        var block = RequestBlock(serial: 0, requestID: id, rows: [])
        if let serial = serialOfID[id], let at = index(of: serial) {
            block = blocks.remove(at: at)
            rowCount -= block.rows.count
        }
        body(&block)
        block.rows.sort { a, b in
            guard let lineA = a.mainLine, let lineB = b.mainLine else { return false }
            return LoggedLine.startsBefore(lineA, lineB)
        }
        for index in block.rows.indices { block.rows[index].hop = index + 1 }
        append(block)
    }

    private mutating func append(_ block: RequestBlock) {
        var block = block
        block.serial = nextSerial
        nextSerial += 1
        if let id = block.requestID { serialOfID[id] = block.serial }
        rowCount += block.rows.count
        blocks.append(block)
    }

    /// Blocks are kept in serial order, so a serial is found by bisection.
    private func index(of serial: Int) -> Int? {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].serial < serial { low = middle + 1 } else { high = middle }
        }
        return low < blocks.count && blocks[low].serial == serial ? low : nil
    }
}

extension RequestFeed {
    /// The feed these lines make when the log reader pairs them as they come (the render
    /// benchmark's and the tests' made-up feeds).
    init(pairing lines: [(record: AccessLogRecord, text: String)]) {
        self.init()
        var pairer = RequestPairer(maxOpenIDs: LogTail.maxOpenIDs, reportsWaiting: true)
        var batch = RequestBatch()
        for (record, text) in lines { pairer.add(record, text: text, into: &batch.events) }
        batch.counts = pairer.counts
        apply(batch)
    }
}
