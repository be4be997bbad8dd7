import Collectors
import Foundation
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

@Suite struct HiddenScalarTests {
    @Test func bidiControlsAndZeroWidthCharactersAreShownVisibly() {
        // The spoof of the issue: this key reads as "invoiceexe.pdf" when drawn raw.
        #expect(ControlBytes.sanitize("invoice\u{202E}fdp.exe") == "invoice\\u202efdp.exe")
        #expect(ControlBytes.sanitize("a\u{200B}b\u{FEFF}c\u{2066}d\u{2069}") == "a\\u200bb\\ufeffc\\u2066d\\u2069")
        #expect(ControlBytes.sanitize("\u{061C}\u{200E}\u{200F}\u{2028}") == "\\u061c\\u200e\\u200f\\u2028")
        #expect(ControlBytes.sanitize("tag\u{E0041}") == "tag\\u{e0041}")
        // Arrows, box drawing and CJK share the lead byte of the bidi range and stay.
        #expect(ControlBytes.sanitize("a → b │ 你好") == "a → b │ 你好")
    }

    @Test func longTextFromAPeerIsCutWithItsSizeSaid() {
        let long = String(repeating: "x", count: 50_000) + "\u{1B}[2J"
        let shown = ControlBytes.sanitize(long, limit: 100)
        #expect(shown == String(repeating: "x", count: 100) + "… (50004 bytes)")
        // Never cut inside a scalar.
        #expect(ControlBytes.sanitize("ab中", limit: 3) == "ab… (5 bytes)")
        #expect(ControlBytes.sanitize("short", limit: 100) == "short")
    }

    @Test func jsonEscapesHiddenScalarsSoTheTextReadsBackTheSame() throws {
        var out: [UInt8] = []
        JSONValue.writeString("k\u{202E}v\u{9B}2J\u{7F} → \u{E0041}\u{1B}", into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == #""k\u202ev\u009b2J\u007f → \udb40\udc41\u001b""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
        #expect(decoded == "k\u{202E}v\u{9B}2J\u{7F} → \u{E0041}\u{1B}")
        let encoded = JSONEscape.escapingHidden(Array(#"{"name":"m1\#u{202E}x\#u{200B}"}"#.utf8))
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"name":"m1\u202ex\u200b"}"#)
    }

    /// Random bytes, mostly invalid UTF-8, against the byte-by-byte rule written plainly: a
    /// lead byte whose whole sequence is valid UTF-8 is that scalar (escaped when hidden),
    /// any other byte is `\xNN`.
    @Test func invalidBytesAgreeWithTheBytewiseRule() {
        func plainly(_ raw: [UInt8]) -> String {
            var out = ""
            var index = 0
            while index < raw.count {
                let lead = raw[index]
                let length = lead < 0x80 ? 1 : (0xC2...0xDF).contains(lead) ? 2 : (0xE0...0xEF).contains(lead) ? 3 : (0xF0...0xF4).contains(lead) ? 4 : 0
                if length > 0, index + length <= raw.count, let piece = String(validating: raw[index..<(index + length)], as: UTF8.self) {
                    out += ControlBytes.sanitize(piece)
                    index += length
                } else {
                    out += "\\x" + String(lead, radix: 16).leftPadded(to: 2)
                    index += 1
                }
            }
            return out
        }
        let pieces: [[UInt8]] = [[0x41], [0x1B], [0x7F], [0xC2, 0x9B], [0xC3, 0xA9], [0xE2, 0x80, 0xAE], [0xE2, 0x82], [0xED, 0xA0, 0x80],
            [0xF0, 0x9F, 0x98, 0x80], [0xF0, 0x9F, 0x98], [0xC0, 0x80], [0x80], [0xFF], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBB, 0xBF]]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let raw = (0..<Int.random(in: 1...12, using: &generator)).flatMap { _ -> [UInt8] in
                Bool.random(using: &generator) ? pieces.randomElement(using: &generator)! : [UInt8.random(in: 0...255, using: &generator)]
            }
            #expect(ControlBytes.sanitize(bytes: raw) == plainly(raw), "\(raw.map { String($0, radix: 16) })")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
