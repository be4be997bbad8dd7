import Foundation

/// Fills a profile's PromQL templates, once per set of queries (the dashboard asks them
/// every second): the config file's templates replace defaults of the same name, and every
/// placeholder of both profiles is replaced, `{resolution}` (the `age` and `young`
/// subqueries' step) following from the window.
enum QueryTemplates {
    static func fill(
        _ defaults: [String: String], overrides: [String: String], edge: String, window: String, more: [(String, String)] = []
    ) -> [String: String] {
        let values = [("{edge}", edge), ("{window}", window), ("{resolution}", RateSpan.resolution(window: window))] + more
        var filled: [String: String] = [:]
        for (name, template) in defaults.merging(overrides, uniquingKeysWith: { _, override in override }) {
            filled[name] = values.reduce(template) { text, value in text.replacingOccurrences(of: value.0, with: value.1) }
        }
        return filled
    }
}
