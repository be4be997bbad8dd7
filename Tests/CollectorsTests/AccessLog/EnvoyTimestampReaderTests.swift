import Collectors
import Testing

@Suite struct EnvoyTimestampReaderTests {
    @Test func agreesWithTheOneShotParseAcrossMinutesAndZones() {
        let times = [
            "2026-11-27T12:00:59.999Z", "2026-11-27T12:00:00.001Z", "2026-11-27T12:01:00Z", "not a time",
            "2026-11-27T12:01:30.5+01:00", "2026-11-27T12:01:30.5-02:30", "2026-11-27T12:01:61.000Z",
            "2026-13-27T12:01:00.000Z", "2026-13-27T12:01:00.000Z", "2026-11-28T00:00:00.000Z", "2026-11-27T12:0",
        ]
        var reader = EnvoyTimestampReader()
        for text in times + times.reversed() {
            var bytes = text
            let cached = bytes.withUTF8 { reader.milliseconds(bytes: $0) }
            #expect(cached == EnvoyTimestamp.milliseconds(text), "\(text)")
        }
        #expect(EnvoyTimestamp.milliseconds("2026-11-27T12:01:30.5+01:00") == EnvoyTimestamp.milliseconds("2026-11-27T11:01:30.500Z"))
    }
}
