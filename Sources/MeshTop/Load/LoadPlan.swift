import Foundation

/// What `meshtop load` sends: one request, how often, how many at once, for how long.
struct LoadPlan: Sendable {
    var url: String
    var method = "GET"
    var headers: [(name: String, value: String)] = []
    var body: [UInt8]?
    /// Requests per second on a fixed schedule (open model); nil: as fast as `concurrency`
    /// workers go (closed model).
    var rate: Double?
    var concurrency = 10
    var count: Int?
    var duration: Duration?
    var timeout: Duration = .seconds(10)
    /// Where each request's client-side access-log line goes, in the istio format.
    var accessLog: String?

    /// host:port of the URL, as the :authority of the request.
    var authority: String {
        guard let components = URLComponents(string: url), let host = components.host else { return "-" }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    /// The URL's host, as the client-side line's cluster names it.
    var host: String { URLComponents(string: url)?.host ?? "-" }

    var path: String {
        guard let components = URLComponents(string: url) else { return "/" }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return components.percentEncodedQuery.map { path + "?" + $0 } ?? path
    }

    var port: Int {
        guard let components = URLComponents(string: url) else { return 80 }
        return components.port ?? (components.scheme == "https" ? 443 : 80)
    }
}
