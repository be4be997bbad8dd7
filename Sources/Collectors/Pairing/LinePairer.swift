import DequeModule

/// Matches the client-side (outbound) and server-side (inbound) lines of a request by
/// x-request-id, in a bounded window: at most `maxOpenIDs` ids holding at most `maxBytes`
/// of lines (`PairableLine.pairingBytes`), and lines no older than `window` of log time
/// behind the newest line seen; past either bound the oldest ids leave first. A pair is
/// reported as soon as both sides are in; an id with more than one pair is reported once
/// more as a chain when it leaves the window. Lines that leave unmatched are counted, never
/// kept.
public struct LinePairer<Line: PairableLine>: Sendable {
    public struct Hop: Sendable {
        public var client: Line
        public var server: Line
    }

    public enum Event: Sendable {
        case pair(Hop)
        /// Every hop of one id, in chain order (`PairableLine.startsBefore`); of an id with
        /// one hop only when the pairer was made with `chainsOfOne`.
        case chain([Hop])
    }

    /// Most ids see one line, then its partner: those fit inline, without an array.
    private struct Entry: Sendable {
        var firstSeen: Int64
        var waiting: Line?
        var moreWaiting: [Line] = []
        var firstHop: Hop?
        var moreHops: [Hop] = []

        var hopCount: Int { firstHop == nil ? 0 : 1 + moreHops.count }

        /// Takes the waiting line that `matches`.
        mutating func take(where matches: (Line) -> Bool) -> Line? {
            if let candidate = waiting, matches(candidate) {
                waiting = moreWaiting.isEmpty ? nil : moreWaiting.removeFirst()
                return candidate
            }
            guard !moreWaiting.isEmpty, let index = moreWaiting.firstIndex(where: matches) else { return nil }
            return moreWaiting.remove(at: index)
        }

        /// The first proxy's client line for the load's own line: waiting, or already the
        /// client side of a hop. It stays where it is: it is the next hop's client side too.
        func firstProxyLine(for caller: Line) -> Line? {
            if let candidate = waiting, LinePairer.isFirstProxy(candidate, of: caller), !candidate.isServerSide { return candidate }
            if let candidate = moreWaiting.first(where: { !$0.isServerSide && LinePairer.isFirstProxy($0, of: caller) }) { return candidate }
            if let hop = firstHop, !hop.client.isCaller, LinePairer.isFirstProxy(hop.client, of: caller) { return hop.client }
            return moreHops.first { !$0.client.isCaller && LinePairer.isFirstProxy($0.client, of: caller) }?.client
        }

        mutating func park(_ line: Line) {
            if waiting == nil { waiting = line } else { moreWaiting.append(line) }
        }

        mutating func recorded(_ hop: Hop) -> Hop {
            if firstHop == nil { firstHop = hop } else { moreHops.append(hop) }
            return hop
        }
    }

    public let maxOpenIDs: Int
    public let maxBytes: Int
    public let windowMilliseconds: Int64
    /// Whether an id with one hop is reported as a chain too when it leaves (per-hop time
    /// takes every request from chains).
    public let chainsOfOne: Bool
    /// 64 MiB: 100,000 ids of ordinary lines stay far below it; 650 lines with 100 KB user
    /// agents reach it.
    public static var defaultMaxBytes: Int { 64 << 20 }

    /// Open ids, by the place of their entry in `slab`: the table moves 4-byte values when
    /// it rehashes or deletes, and entries stay put.
    private var entries: [Line.PairingKey: Int32] = [:]
    private var slab: [Entry] = []
    private var freePlaces: [Int32] = []
    /// Ids in the order they were first seen; eviction pops from the front.
    private var order: Deque<(key: Line.PairingKey, firstSeen: Int64)> = []
    private var clock: Int64 = .min

    public private(set) var unpaired = UnpairedCounts()
    public private(set) var pairCount = 0
    /// Lines with no request id: nothing to pair them with.
    public private(set) var withoutID = 0

    public var openIDs: Int { entries.count }
    /// What the open ids' lines cost now, never above `maxBytes` after `add` returns.
    public private(set) var heldBytes = 0

    public init(maxOpenIDs: Int = 100_000, maxBytes: Int = defaultMaxBytes, window: Duration = .seconds(60), chainsOfOne: Bool = false) {
        self.chainsOfOne = chainsOfOne
        self.maxOpenIDs = max(1, maxOpenIDs)
        self.maxBytes = max(1, maxBytes)
        self.windowMilliseconds = window.wholeMilliseconds
        // Room for the whole window up front: the tables never grow by copying, and pages
        // the window does not reach are never touched, so they cost no memory.
        entries.reserveCapacity(self.maxOpenIDs + 1)
        slab.reserveCapacity(self.maxOpenIDs + 1)
        order.reserveCapacity(self.maxOpenIDs + 1)
    }

    /// Adds one line; `emit` hears what it completed and what the window let go of.
    public mutating func add(_ line: Line, emit: (Event) -> Void) {
        if let time = line.pairingTime, time > clock { clock = time }
        evict(emit: emit)
        guard let key = line.pairingKey else {
            withoutID += 1
            return
        }
        // One hash lookup: a new id takes the next free place in the slab.
        let candidate = freePlaces.last ?? Int32(slab.count)
        let place = Self.claim(&entries[key, default: -1], candidate)
        if place == candidate {
            if freePlaces.isEmpty { slab.append(Entry(firstSeen: clock)) } else { slab[Int(freePlaces.removeLast())] = Entry(firstSeen: clock) }
            order.append((key, clock))
        }
        heldBytes += line.pairingBytes
        let (first, second) = Self.join(line, to: &slab[Int(place)])
        if let first {
            pairCount += 1
            emit(.pair(first))
        }
        if let second {
            pairCount += 1
            emit(.pair(second))
        }
        while entries.count > maxOpenIDs || heldBytes > maxBytes, let first = order.popFirst() {
            close(first.key, emit: emit)
        }
    }

    /// The place stored for an id, after giving a new id `candidate`.
    private static func claim(_ place: inout Int32, _ candidate: Int32) -> Int32 {
        if place < 0 { place = candidate }
        return place
    }

    /// Pairs the line with a waiting partner in the entry, or parks it there. A gateway's
    /// line may complete two hops: the load's, whose other side it is, and its own.
    private static func join(_ line: Line, to entry: inout Entry) -> (Hop?, Hop?) {
        if line.isCaller {
            if let proxy = entry.firstProxyLine(for: line) ?? entry.take(where: { isFirstProxy($0, of: line) }) {
                return (entry.recorded(Hop(client: line, server: proxy)), nil)
            }
            entry.park(line)
            return (nil, nil)
        }
        var loadHop: Hop?
        if !line.isServerSide, let caller = entry.take(where: { $0.isCaller && isFirstProxy(line, of: $0) }) {
            loadHop = entry.recorded(Hop(client: caller, server: line))
        }
        if let other = entry.take(where: { isPartner($0, of: line) }) {
            let hop = line.isServerSide ? Hop(client: other, server: line) : Hop(client: line, server: other)
            return (loadHop, entry.recorded(hop))
        }
        // An inbound line nobody forwarded, with no client line for it: the load called it directly.
        if loadHop == nil, line.isServerSide, let caller = entry.take(where: { $0.isCaller && isFirstProxy(line, of: $0) }) {
            return (entry.recorded(Hop(client: caller, server: line)), nil)
        }
        entry.park(line)
        return (loadHop, nil)
    }

    /// Lets go of everything still open (end of input): chains are reported, lone lines counted.
    public mutating func flush(emit: (Event) -> Void) {
        while let (key, _) = order.popFirst() {
            close(key, emit: emit)
        }
    }

    private mutating func evict(emit: (Event) -> Void) {
        guard clock != .min else { return }
        while let first = order.first, first.firstSeen < clock - windowMilliseconds {
            order.removeFirst()
            close(first.key, emit: emit)
        }
    }

    private mutating func close(_ key: Line.PairingKey, emit: (Event) -> Void) {
        guard let place = entries.removeValue(forKey: key) else { return }
        freePlaces.append(place)
        // Read in place through a pointer (a borrow, not a copy of the entry: this runs for
        // every id of the summary's hot path), then let go of its lines.
        var counts = unpaired
        let chainsOfOne = chainsOfOne
        heldBytes -= slab.withUnsafeBufferPointer {
            Self.settle($0.baseAddress![Int(place)], unpaired: &counts, chainsOfOne: chainsOfOne, emit: emit)
        }
        unpaired = counts
        // The slab keeps the place, not the lines: a 100 KB line must not outlive its id.
        // A digest owns no memory (and is the summary's hot path): its entry is left as is.
        if !_isPOD(Line.self) { Self.release(&slab[Int(place)]) }
    }

    /// Counts an entry's lone lines, reports its chain, and returns what its lines cost:
    /// every line added to an entry is waiting or in a hop, so this is what `add` counted
    /// for them (summed again rather than stored, to keep the entry as small as it was).
    private static func settle(
        _ entry: borrowing Entry, unpaired: inout UnpairedCounts, chainsOfOne: Bool, emit: (Event) -> Void
    ) -> Int {
        var freed = 0
        if let waiting = entry.waiting {
            count(waiting, in: &unpaired)
            freed += waiting.pairingBytes
        }
        for line in entry.moreWaiting {
            count(line, in: &unpaired)
            freed += line.pairingBytes
        }
        if let first = entry.firstHop {
            freed += bytes(of: first)
            if !entry.moreHops.isEmpty {
                for hop in entry.moreHops { freed += bytes(of: hop) }
                let hops = ([first] + entry.moreHops).sorted { Line.startsBefore($0.client, $1.client) }
                emit(.chain(hops))
            } else if chainsOfOne {
                emit(.chain([first]))
            }
        }
        return freed
    }

    /// What a hop's lines cost: the load's hop shares its other side with the next hop, or
    /// with the waiting lines, when that side is the gateway's client line.
    private static func bytes(of hop: Hop) -> Int {
        hop.client.isCaller && !hop.server.isServerSide ? hop.client.pairingBytes : hop.client.pairingBytes + hop.server.pairingBytes
    }

    private static func count(_ line: Line, in unpaired: inout UnpairedCounts) {
        if line.isServerSide { unpaired.serverOnly += 1 } else { unpaired.clientOnly += 1 }
    }

    /// Drops what an entry holds, in place.
    private static func release(_ entry: inout Entry) {
        entry.waiting = nil
        entry.moreWaiting = []
        entry.firstHop = nil
        entry.moreHops = []
    }

    /// Opposite sides of the same hop between two proxies.
    static func isPartner(_ waiting: Line, of line: Line) -> Bool {
        !waiting.isCaller && waiting.isServerSide != line.isServerSide && waiting.isSameHop(as: line)
    }

    /// Whether a proxy's line can be the other side of the load's own line: the first
    /// proxy's, its client line (a gateway) or an inbound line no proxy forwarded.
    static func isFirstProxy(_ proxy: Line, of caller: Line) -> Bool {
        !proxy.isCaller && (!proxy.isServerSide || !proxy.isForwarded) && proxy.isSameHop(as: caller)
    }
}
