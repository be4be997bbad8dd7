import Collectors

/// Text from a recording made safe for a page: control bytes, escape sequences, bidi and
/// zero-width characters shown as visible escapes (`ControlBytes`), cut to a bound, then
/// HTML-escaped, so a crafted log line or cluster name stays text in any element or
/// attribute it lands in.
enum HTMLText {
    /// The longest string a page shows of one value.
    static let maxLength = 300

    static func escape(_ text: String, limit: Int = maxLength) -> String {
        var out = ""
        for character in ControlBytes.sanitize(text, limit: limit) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
