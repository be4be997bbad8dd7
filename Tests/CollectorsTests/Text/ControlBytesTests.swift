import Collectors
import Testing

@Suite struct ControlBytesTests {
    @Test func printableTextIsUnchanged() {
        #expect(ControlBytes.sanitize("Testing Istio using NodePort") == "Testing Istio using NodePort")
        #expect(ControlBytes.sanitize("你好，世界 🌏") == "你好，世界 🌏")
    }

    @Test func escapeSequencesBecomeVisible() {
        #expect(ControlBytes.sanitize("\u{1B}[31mred\u{1B}[0m") == "\\x1b[31mred\\x1b[0m")
        #expect(ControlBytes.sanitize("a\r\nb\tc\u{07}") == "a\\x0d\\x0ab\\x09c\\x07")
        #expect(ControlBytes.sanitize("c1 \u{9B}2J del \u{7F}") == "c1 \\x9b2J del \\x7f")
    }

    @Test func invalidUTF8IsEscapedBytewise() {
        #expect(ControlBytes.sanitize(bytes: [0x61, 0xFF, 0x62, 0x1B]) == "a\\xffb\\x1b")
        #expect(ControlBytes.sanitize(bytes: Array("中".utf8) + [0xE4, 0xB8]) == "中\\xe4\\xb8")
        #expect(ControlBytes.sanitize(bytes: Array("ok".utf8)) == "ok")
    }
}
