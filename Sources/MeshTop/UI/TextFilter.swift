import Collectors

/// A panel filter typed after `/`: a substring (case-insensitive), or a regular expression
/// after `re:` (POSIX extended, as `meshtop logs --grep`: linear in the text, so a
/// pattern like `(a+)+$` cannot freeze the UI thread that filters every frame).
struct TextFilter: Equatable, Sendable {
    let text: String
    private let pattern: LinePattern?

    init(_ text: String) throws {
        self.text = text
        pattern = text.hasPrefix("re:") ? try LinePattern(String(text.dropFirst(3))) : nil
    }

    func matches(_ candidate: String) -> Bool {
        if let pattern { return pattern.matches(candidate) }
        return candidate.lowercased().contains(text.lowercased())
    }

    static func == (a: TextFilter, b: TextFilter) -> Bool { a.text == b.text }
}
