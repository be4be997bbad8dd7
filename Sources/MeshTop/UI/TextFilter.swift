/// A panel filter typed after `/`: a substring (case-insensitive), or a regular expression
/// after `re:`.
struct TextFilter: Equatable, @unchecked Sendable {
    let text: String
    // Regex is a value that is never mutated after it is made here.
    private let regex: Regex<AnyRegexOutput>?

    init(_ text: String) throws {
        self.text = text
        regex = text.hasPrefix("re:") ? try Regex(String(text.dropFirst(3))) : nil
    }

    func matches(_ candidate: String) -> Bool {
        if let regex { return (try? regex.firstMatch(in: candidate)) != nil }
        return candidate.lowercased().contains(text.lowercased())
    }

    static func == (a: TextFilter, b: TextFilter) -> Bool { a.text == b.text }
}
