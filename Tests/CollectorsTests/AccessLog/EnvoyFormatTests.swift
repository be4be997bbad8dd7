import Collectors
import Testing

@Suite struct EnvoyFormatTests {
    @Test func istioFormatHasEveryOperator() throws {
        let commands = IstioFormats.istio.tokens.compactMap { token -> EnvoyOperator? in
            if case .command(let op) = token { op } else { nil }
        }
        #expect(commands.count == 24)
        #expect(commands.count == AccessLogField.allCases.count)
        #expect(commands.first == EnvoyOperator(name: "START_TIME"))
        #expect(commands[2] == EnvoyOperator(name: "REQ", argument: "X-ENVOY-ORIGINAL-PATH?:PATH"))
        #expect(commands[2].headerNames == ["x-envoy-original-path", ":path"])
        #expect(commands.last == EnvoyOperator(name: "ROUTE_NAME"))
        // Every operator of the built-in format maps to a record field.
        #expect(commands.allSatisfy { AccessLogField(operator: $0) != nil })
    }

    @Test func argumentsLengthsAndLiterals() throws {
        let format = try EnvoyFormat(#"%START_TIME(%Y/%m/%d)% "%REQ(USER-AGENT):10%" tail"#)
        #expect(
            format.tokens == [
                .command(EnvoyOperator(name: "START_TIME", argument: "%Y/%m/%d")),
                .literal(" \""),
                .command(EnvoyOperator(name: "REQ", argument: "USER-AGENT", maxLength: 10)),
                .literal("\" tail"),
            ])
    }

    @Test(arguments: ["%", "%lower%", "%REQ(X-Y%", "%DURATION", "%REQ(A):%"])
    func malformedFormatsAreRejected(_ text: String) {
        #expect(throws: EnvoyFormatError.self) { try EnvoyFormat(text) }
    }
}
