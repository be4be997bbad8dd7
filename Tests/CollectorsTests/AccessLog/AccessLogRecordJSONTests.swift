import Collectors
import Foundation
import Testing

/// `writeJSON` must write exactly what `JSONEncoder` (sorted keys, slashes as they are)
/// makes of the same value: the record shape of `meshtop logs --json`, fast.
@Suite struct AccessLogRecordJSONTests {
    /// What the encoder makes, with hidden scalars escaped as `writeJSON` escapes them.
    private func encoded(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: JSONEscape.escapingHidden(Array(try encoder.encode(value))), as: UTF8.self)
    }

    private func written(_ write: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        write(&out)
        return String(decoding: out, as: UTF8.self)
    }

    static let awkward = [
        "plain", "", "a \"quoted\" \\ back\\slash", "tab\tnew\nline\rret", "\u{1b}[31mred\u{1b}[0m \u{7f} \u{85}",
        "\u{00}\u{01}\u{08}\u{0c}\u{1f}", "/path/with/slashes?x=1&y=<2>", "中文 ünïcödé 🚀", "\u{2028}\u{2029}",
    ]

    @Test(arguments: awkward)
    func recordsMatchTheEncoder(_ text: String) throws {
        var record = AccessLogParserTests.outboundFailure()
        record.path = text
        record.userAgent = text
        record.requestID = text.isEmpty ? nil : text
        record.origin = text
        record.extra = ["istio_policy_status": text, "zz_custom": "last", "aa_custom": "first", "m_custom": text]
        #expect(written(record.writeJSON) == (try encoded(record)))
        var bare = AccessLogRecord()
        bare.authority = text
        #expect(written(bare.writeJSON) == (try encoded(bare)))
    }

    @Test func pairsAndChainsMatchTheEncoder() throws {
        let pair = RequestPair(requestID: "r\"1", client: AccessLogParserTests.outboundFailure(), server: AccessLogParserTests.inbound())
        #expect(written(pair.writeJSON) == (try encoded(pair)))
        var unknown = pair
        unknown.server.duration = nil
        #expect(written(unknown.writeJSON) == (try encoded(unknown)))
        var pairer = RequestPairer()
        var events: [PairingEvent] = []
        for (authority, inbound) in [("a:1", false), ("a:1", true), ("b:2", false), ("b:2", true)] {
            var record = inbound ? AccessLogParserTests.inbound() : AccessLogParserTests.outboundFailure()
            record.requestID = "chain"
            record.direction = inbound ? .inbound : .outbound
            record.authority = authority
            events += pairer.add(record)
        }
        events += pairer.flush()
        let chains = events.compactMap { if case .chain(let chain) = $0 { chain } else { nil } }
        #expect(chains.count == 1)
        for chain in chains { #expect(written(chain.writeJSON) == (try encoded(chain))) }
    }
}
