import Collectors
import Foundation

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

    /// 'Name: value' as a header to send; the error names the header but never quotes its
    /// value, which may be a tenant or a credential.
    static func headerField(_ line: String) throws(SettingError) -> HeaderField {
        guard let colon = line.firstIndex(of: ":") else { throw SettingError("a header is 'Name: value', and this one has no colon") }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        guard isToken(name) else {
            throw SettingError(name.isEmpty ? "a header needs a name before its colon" : "header name '\(ControlBytes.sanitize(name, limit: 60))' is not a token (letters, digits, -)")
        }
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard isFieldValue(value) else { throw SettingError("header \(name): the value cannot hold a line break or another control byte") }
        return HeaderField(name: name, value: value)
    }
}
