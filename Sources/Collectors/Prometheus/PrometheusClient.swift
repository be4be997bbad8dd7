import Foundation

/// Prometheus's HTTP API: instant and range queries, readiness and scrape targets.
public struct PrometheusClient: Sendable {
    public let http: CurlHTTPClient

    public init(_ http: CurlHTTPClient) {
        self.http = http
    }

    public init(url: String, auth: CurlAuth? = nil, tls: CurlTLS? = nil) {
        self.init(CurlHTTPClient(baseURL: url, tls: tls, auth: auth))
    }

    public func query(_ promql: String, at time: Date? = nil) async throws(PrometheusError) -> PrometheusAnswer {
        var form = [("query", promql)]
        if let time { form.append(("time", String(time.timeIntervalSince1970))) }
        return try await post("/api/v1/query", form)
    }

    public func queryRange(_ promql: String, start: Date, end: Date, step: Duration) async throws(PrometheusError)
        -> PrometheusAnswer
    {
        let seconds = step.inSeconds
        return try await post(
            "/api/v1/query_range",
            [
                ("query", promql), ("start", String(start.timeIntervalSince1970)),
                ("end", String(end.timeIntervalSince1970)), ("step", String(seconds)),
            ])
    }

    /// `/-/ready`: nil when ready, else why not.
    public func notReadyReason() async -> String? {
        do {
            let (response, _) = try await http.send("GET", "/-/ready")
            return response.status == 200 ? nil : "HTTP \(response.status): \(ControlBytes.sanitize(response.text, limit: 200))"
        } catch {
            return error.message
        }
    }

    /// Active scrape targets: how many are up, of how many.
    public func targets() async throws(PrometheusError) -> (up: Int, total: Int) {
        let response: CurlResponse
        do {
            response = try await http.send("GET", "/api/v1/targets?state=active").response
        } catch {
            throw PrometheusError(.transport, error.message)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let data = object["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]]
        else {
            throw PrometheusError(response.status == 200 ? .decode : .http, "targets: HTTP \(response.status)")
        }
        return (active.filter { $0["health"] as? String == "up" }.count, active.count)
    }

    /// Queries go as a form body: long PromQL does not fit every proxy's URL limit.
    private func post(_ path: String, _ form: [(String, String)]) async throws(PrometheusError) -> PrometheusAnswer {
        let body = form.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let response: CurlResponse
        do {
            response = try await http.send(
                "POST", path, body: Array(body.utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")]
            ).response
        } catch {
            throw PrometheusError(.transport, error.message)
        }
        return try PrometheusAnswer.decode(status: response.status, body: response.body)
    }

    static func formEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

/// RFC 3986's unreserved characters, ASCII only: everything else is percent-encoded.
private let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
