import Collectors
import Testing

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("2s", Duration.seconds(2)), ("500ms", .milliseconds(500)), ("1m", .seconds(60)), ("1.5s", .milliseconds(1500)),
        ("3", .seconds(3)), ("1h", .seconds(3600)), ("250us", .microseconds(250)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "-1s", "fast", "2 parsecs", "nan"])
    func rejects(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
