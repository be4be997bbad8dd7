import Collectors

/// Request lines and headers meshtop sends: a CR or LF from a flag would start a second
/// request or header on the wire (RFC 9110 tokens; field values without CR, LF or NUL).
enum HTTPSyntax {
    private static let tokenBytes = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(tokenBytes.contains)
    }

    /// Visible text, spaces and tabs; no other control byte.
    static func isFieldValue(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\t" || !ControlBytes.isControl($0) }
    }
}
