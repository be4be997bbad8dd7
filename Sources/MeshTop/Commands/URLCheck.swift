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
