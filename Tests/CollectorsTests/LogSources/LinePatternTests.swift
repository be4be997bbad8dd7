import Collectors
import Testing

@Suite struct LinePatternTests {
    /// Issue 7: `(a+)+$` on a 31-byte path took over 30 s with NSRegularExpression. The
    /// result is what is checked; before the fix this test did not finish.
    @Test(.timeLimit(.minutes(1)), arguments: [31, 10_000, 64 << 10])
    func nestedQuantifiersDoNotBacktrack(length: Int) throws {
        let pattern = try LinePattern("(a+)+$")
        let path = "/" + String(repeating: "a", count: length - 2) + "!"
        #expect(path.utf8.count == length)
        #expect(!pattern.matches(path))
        #expect(pattern.matches(String(repeating: "a", count: length)))
        #expect(try !LinePattern("(a|aa)*b").matches(path))
        #expect(try LinePattern("(.*a){20}!").matches(path))
    }

    @Test func theEmptyPatternMatchesEverything() throws {
        let pattern = try LinePattern("")
        #expect(pattern.matches(""))
        #expect(pattern.matches("GET /storage/k1"))
    }

    @Test func extendedSyntaxAnchorsAndAlternation() throws {
        #expect(try LinePattern("^GET|^PUT").matches("PUT /v2/keys/a"))
        #expect(try !LinePattern("^GET|^PUT").matches("x PUT /v2/keys/a"))
        #expect(try LinePattern("k[0-9]+$").matches("GET /storage/k42"))
        #expect(try !LinePattern("k[0-9]+$").matches("GET /storage/k42/x"))
        #expect(try LinePattern(#"127\.0\.0\.1"#).matches(#""127.0.0.1:2379""#))
        #expect(try !LinePattern(#"127\.0\.0\.1"#).matches(#""127a0b0c1:2379""#))
        #expect(try LinePattern(#" 5\d\d "#).matches("GET / 503 UF"))
        #expect(try !LinePattern(#"\D"#).matches("123"))
        #expect(try LinePattern(#"\w+-\w+"#).matches("etcd-service"))
        #expect(try LinePattern("[])]x").matches("a)x"))
        #expect(try LinePattern("[[:digit:]]{3}").matches("code 201"))
    }

    @Test func bytesThatAreNotTextStillMatch() throws {
        let line: [UInt8] = [0x66, 0x00, 0xFF, 0xFE, 0x20, 0x7A]  // f NUL, invalid UTF-8, " z"
        #expect(try line.withUnsafeBufferPointer(LinePattern(" z$").matches))
        #expect(try line.withUnsafeBufferPointer(LinePattern("^f").matches))
        #expect(try !line.withUnsafeBufferPointer(LinePattern("^z").matches))
    }

    @Test(arguments: ["(", "a)", "a)|b", "[abc", #"(a)\1"#, "a\\", "*a{"])
    func invalidPatternsSayWhy(_ source: String) {
        #expect(throws: LinePatternError.self) { try LinePattern(source) }
    }

    @Test func backReferencesAreRefusedByName() {
        #expect {
            try LinePattern(#"(a)\1"#)
        } throws: { error in
            (error as? LinePatternError)?.description.contains("back-references") == true
        }
    }
}
