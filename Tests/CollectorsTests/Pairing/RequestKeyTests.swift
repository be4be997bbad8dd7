import Collectors
import Testing

@Suite struct RequestKeyTests {
    @Test func equalIDsGiveEqualKeysAndDifferentOnesDiffer() {
        var keys = Set<RequestKey>()
        for n in 0..<100_000 {
            keys.insert(RequestKey("id-\(n)"))
        }
        for n in 0..<100_000 {
            // UUID-shaped ids differing in one digit, as Envoy writes them.
            let hex = String(n, radix: 16)
            let tail = String(repeating: "0", count: 12 - hex.count) + hex
            keys.insert(RequestKey("834ed8c3-e8e7-43b4-96bb-\(tail)"))
        }
        #expect(keys.count == 200_000)
        #expect(RequestKey("834ed8c3-e8e7-43b4-96bb-d0652543a8be") == RequestKey("834ed8c3-e8e7-43b4-96bb-d0652543a8be"))
        #expect(RequestKey("834ed8c3-e8e7-43b4-96bb-d0652543a8be") != RequestKey("834ED8C3-E8E7-43B4-96BB-D0652543A8BE"))
        #expect(RequestKey("") != RequestKey("\0"))
        #expect(RequestKey("abcdefgh") != RequestKey("abcdefgh\0"))
    }
}
