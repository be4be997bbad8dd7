import Collectors
import Testing

@testable import MeshTop

/// A request's details draw its paired hops on one time line, with where each hop's time went.
@Suite struct WaterfallTests {
    static func line(_ at: Int, _ duration: Int, upstream: Int, inbound: Bool, authority: String) -> LoggedLine {
        var record = AccessLogRecord()
        record.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: at)
        record.duration = duration
        record.upstreamServiceTime = upstream
        record.direction = inbound ? .inbound : .outbound
        record.authority = authority
        record.requestID = "r1"
        return LoggedLine(record: record)
    }

    /// gateway → sidecar (20 ms, 5 of them the gateway's own), the app's etcd call 5 ms in (6 ms).
    static let block = RequestBlock(
        serial: 0, requestID: "r1",
        rows: [
            RequestRow(
                content: .pair(RequestPair(requestID: "r1", client: line(0, 20, upstream: 15, inbound: false, authority: "storage"),
                                           server: line(1, 14, upstream: 13, inbound: true, authority: "storage"))), hop: 1),
            RequestRow(
                content: .pair(RequestPair(requestID: "r1", client: line(10, 6, upstream: 5, inbound: false, authority: "etcd"),
                                           server: line(11, 4, upstream: 3, inbound: true, authority: "etcd"))), hop: 2),
        ], complete: true)

    @Test func barsOnOneTimeLineAndTheParts() {
        let lines = DetailView.waterfall(Self.block, width: 120).map { $0.map(\.text).joined() }
        #expect(lines.count == 5, "\(lines)")
        #expect(lines[1].hasSuffix("20 ms end to end, 2 paired hops"))
        // Track of 36 cells for 20 ms: hop 1 the whole of it, hop 2 from 10 ms for 6.
        let track = 120 - DetailView.nameWidth - 2 - 56
        let first = lines[2].dropFirst(DetailView.nameWidth + 2)
        #expect(first.hasPrefix(String(repeating: "█", count: track) + "  20 ms  proxy 5 · net 1 · peer 1 · upstream 7"), "\(first)")
        #expect(lines[3].hasPrefix("  hop 2"), "the etcd call is nested under the gateway's hop")
        let second = lines[3].dropFirst(DetailView.nameWidth + 2)
        let cells = Int((6.0 / 20 * Double(track)).rounded())
        #expect(second.hasPrefix(String(repeating: " ", count: track / 2) + String(repeating: "█", count: cells)), "\(second)")
        #expect(second.contains("6 ms  proxy 1 · net 1 · peer 1 · upstream 3"))
    }

    @Test func noPairedHopNoWaterfall() {
        var block = Self.block
        block.rows = [RequestRow(content: .line(Self.line(0, 5, upstream: 4, inbound: true, authority: "etcd")))]
        #expect(DetailView.waterfall(block, width: 120).isEmpty)
    }
}
