import Foundation

/// The one check of a URL given on the command line or in the config file: http or https,
/// with a host (`http://` and `http:///path` have none), and nothing curl would have to guess.
enum URLCheck {
    /// Why `url` is not usable, or nil.
    static func problem(_ url: String) -> String? {
        let quoted = "'\(url)'"
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else { return "\(quoted) is not an http:// or https:// URL" }
        guard let host = components.host, !host.isEmpty else { return "\(quoted) has no host" }
        return nil
    }
}

/// Request lines and headers meshtop sends: a CR or LF from a flag would start a second
/// request or header on the wire (RFC 9110 tokens; field values without CR, LF or NUL).
enum HTTPSyntax {
    private static let tokenBytes = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(tokenBytes.contains)
    }

    /// Visible text, spaces and tabs; no other control byte.
    static func isFieldValue(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\t" || !ControlBytesCheck.isControl($0) }
    }
}

private enum ControlBytesCheck {
    static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }
}
