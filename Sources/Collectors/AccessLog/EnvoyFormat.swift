/// An Envoy access-log format string, split into literals and `%COMMAND(ARG?ALT):N%` operators.
///
/// One definition both writes lines (storage-service, `meshtop load`) and, in the parser,
/// reads them back, so the two can never drift apart.
public struct EnvoyFormat: Sendable, Equatable {
    public enum Token: Sendable, Equatable {
        case literal(String)
        case command(EnvoyOperator)
    }

    public let source: String
    public let tokens: [Token]

    public init(_ source: String) throws(EnvoyFormatError) {
        self.source = source
        self.tokens = try Self.tokenize(Array(source.utf8))
    }

    private static func tokenize(_ bytes: [UInt8]) throws(EnvoyFormatError) -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        var i = 0
        func isCommandByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: "_")
        }
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "%") else {
                literal.append(byte)
                i += 1
                continue
            }
            var j = i + 1
            while j < bytes.count, isCommandByte(bytes[j]) { j += 1 }
            guard j > i + 1 else {
                throw EnvoyFormatError(offset: i, reason: "'%' is not followed by a command name")
            }
            let name = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
            var argument: String?
            if j < bytes.count, bytes[j] == UInt8(ascii: "(") {
                // START_TIME arguments contain '%' themselves, so the argument ends at the
                // first ')' and not at a '%'.
                guard let close = bytes[j...].firstIndex(of: UInt8(ascii: ")")) else {
                    throw EnvoyFormatError(offset: j, reason: "'(' after %\(name) is never closed")
                }
                argument = String(decoding: bytes[(j + 1)..<close], as: UTF8.self)
                j = close + 1
            }
            var maxLength: Int?
            if j < bytes.count, bytes[j] == UInt8(ascii: ":") {
                var k = j + 1
                var value = 0
                while k < bytes.count, bytes[k] >= UInt8(ascii: "0"), bytes[k] <= UInt8(ascii: "9") {
                    value = value * 10 + Int(bytes[k] - UInt8(ascii: "0"))
                    k += 1
                }
                guard k > j + 1 else {
                    throw EnvoyFormatError(offset: j, reason: "':' after %\(name) needs a length")
                }
                maxLength = value
                j = k
            }
            guard j < bytes.count, bytes[j] == UInt8(ascii: "%") else {
                throw EnvoyFormatError(offset: i, reason: "%\(name) is not closed by '%'")
            }
            if !literal.isEmpty {
                tokens.append(.literal(String(decoding: literal, as: UTF8.self)))
                literal.removeAll(keepingCapacity: true)
            }
            tokens.append(.command(EnvoyOperator(name: name, argument: argument, maxLength: maxLength)))
            i = j + 1
        }
        if !literal.isEmpty { tokens.append(.literal(String(decoding: literal, as: UTF8.self))) }
        return tokens
    }
}

/// One `%NAME(ARG):N%` operator. `REQ(X?Y)` looks up header X and falls back to Y.
public struct EnvoyOperator: Sendable, Equatable {
    public let name: String
    public let argument: String?
    public let maxLength: Int?

    public init(name: String, argument: String? = nil, maxLength: Int? = nil) {
        self.name = name
        self.argument = argument
        self.maxLength = maxLength
    }

    /// The header names of a REQ/RESP operator, primary first.
    public var headerNames: [String] {
        guard let argument else { return [] }
        return argument.split(separator: "?", omittingEmptySubsequences: true).map { $0.lowercased() }
    }
}

public struct EnvoyFormatError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid access-log format at byte \(offset): \(reason)" }
}
