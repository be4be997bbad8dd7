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

    /// `problem`, and for a base URL (a source's, with API paths appended to it, such as a
    /// Mimir's `http://mimir/prometheus`) no query or fragment, which would end up before them.
    static func baseProblem(_ url: String) -> String? {
        if let problem = problem(url) { return problem }
        guard let components = URLComponents(string: url) else { return nil }
        if components.percentEncodedQuery != nil || components.percentEncodedFragment != nil {
            return "'\(url)' has a query or fragment: meshtop appends its API paths to a source's URL"
        }
        return nil
    }
}
