import Collectors
import Foundation
import Testing

@Suite struct PercentEncodingTests {
    @Test func unreservedBytesStayAndEveryOtherByteIsEncoded() {
        #expect(PercentEncoding.encode("sum by (le) (rate(x{a=~\"b|c\"}[1m]))") == "sum%20by%20%28le%29%20%28rate%28x%7Ba%3D~%22b%7Cc%22%7D%5B1m%5D%29%29")
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("é/+&%\u{0}") == "%C3%A9%2F%2B%26%25%00")
        #expect(PercentEncoding.encode("") == "")
    }

    /// Foundation's encoder with the same allowed set is the oracle, on random text.
    @Test func agreesWithFoundationOnRandomText() {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let alphabet = Array("aZ9-._~ %&=+/?#[]{}\"'\\\n\t\u{7f}é€😀\u{202e}")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(PercentEncoding.encode(text) == text.addingPercentEncoding(withAllowedCharacters: allowed), "\(text.debugDescription)")
        }
    }
}
