import Foundation

/// Prometheus's HTTP API, as any PromQL backend serves it (VictoriaMetrics, Mimir, Thanos),
/// under the base URL's path prefix: instant and range queries, readiness and scrape targets.
public struct PrometheusClient: Sendable {
    public let http: CurlHTTPClient
    /// Sent with every request (a tenant's `X-Scope-OrgID`, say).
    public let headers: [HeaderField]
    /// Given by the user; nil: detected (`detectKind`).
    public let kind: PrometheusKind?

    public init(_ http: CurlHTTPClient, headers: [HeaderField] = [], kind: PrometheusKind? = nil) {
        self.http = http
        self.headers = headers
        self.kind = kind
    }

    public init(url: String, auth: CurlAuth? = nil, tls: CurlTLS? = nil, headers: [HeaderField] = [], kind: PrometheusKind? = nil) {
        self.init(CurlHTTPClient(baseURL: url, tls: tls, auth: auth), headers: headers, kind: kind)
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

    /// The kind given, else what buildinfo and `/health` say; nil while buildinfo gets no
    /// HTTP answer at all (nothing to go on yet: asked again at the next poll, rather than a
    /// time-out deciding "generic" for good).
    public func detectKind() async -> PrometheusKind? {
        if let kind { return kind }
        async let info = answer("/api/v1/status/buildinfo")
        async let health = answer("/health", onOrigin: true)
        let (buildInfo, healthAnswer) = await (info, health)
        if buildInfo == nil { return nil }
        return PrometheusKind.detect(buildInfo: buildInfo, health: healthAnswer)
    }

    private func answer(_ path: String, onOrigin: Bool = false) async -> (status: Int, body: [UInt8])? {
        guard let response = try? await send("GET", path, onOrigin: onOrigin) else { return nil }
        return (response.status, response.body)
    }

    /// The backend's own readiness endpoint, else a query of `1`: nil when ready, else why not.
    public func notReadyReason(kind: PrometheusKind = .prometheus) async -> String? {
        guard let readiness = kind.readiness else {
            do {
                _ = try await query("1")
                return nil
            } catch {
                return "query 1: " + error.message
            }
        }
        do {
            let response = try await send("GET", readiness.path, onOrigin: readiness.onOrigin)
            return response.status == 200 ? nil : "\(readiness.path): HTTP \(response.status): \(redacted(ControlBytes.sanitize(response.text, limit: 200)))"
        } catch {
            return error.message
        }
    }

    /// Active scrape targets: how many are up, of how many; nil when the backend has no
    /// targets API (404: Mimir, a remote-write receiver behind a proxy).
    public func targets() async throws(PrometheusError) -> (up: Int, total: Int)? {
        let response: CurlResponse
        do {
            response = try await send("GET", "/api/v1/targets?state=active")
        } catch {
            throw PrometheusError(.transport, error.message)
        }
        if response.status == 404 { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let data = object["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]]
        else {
            throw PrometheusError(response.status == 200 ? .decode : .http, "HTTP \(response.status)")
        }
        return (active.filter { $0["health"] as? String == "up" }.count, active.count)
    }

    /// Queries go as a form body: long PromQL does not fit every proxy's URL limit.
    private func post(_ path: String, _ form: [(String, String)]) async throws(PrometheusError) -> PrometheusAnswer {
        let body = form.map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        let response: CurlResponse
        do {
            response = try await send(
                "POST", path, body: Array(body.utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")],
                totalTimeoutMilliseconds: Self.queryTimeoutMilliseconds)
        } catch {
            throw PrometheusError(.transport, error.message)
        }
        do {
            return try PrometheusAnswer.decode(status: response.status, body: response.body)
        } catch {
            throw PrometheusError(error.kind, redacted(error.message))
        }
    }

    /// A peer's words with what meshtop sent it blanked out: vmauth, for one, quotes a token
    /// it does not know ("cannot find the provided auth token \"Bearer …\"").
    func redacted(_ text: String) -> String {
        var secrets = headers.map(\.value)
        switch http.auth {
        case .bearer(let token): secrets.append(token)
        case .basic(_, let password): secrets.append(password)
        case nil: break
        }
        // Short values (a tenant "0") would blank out unrelated text; they say little anyway.
        return secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }.reduce(text) {
            $0.replacingOccurrences(of: $1, with: "…")
        }
    }

    /// A query's time-out, longer than a readiness check's: the buckets query of 1,000 edges
    /// (20,000 series) takes VictoriaMetrics about a second on two busy cores, 5,000 edges
    /// several, and a query cut at the client's 2 s would leave a large mesh's panel empty.
    static let queryTimeoutMilliseconds = 15_000

    /// Every request carries the user's headers after its own.
    private func send(
        _ method: String, _ path: String, body: [UInt8]? = nil, headers own: [(name: String, value: String)] = [],
        onOrigin: Bool = false, totalTimeoutMilliseconds: Int? = nil
    ) async throws(CurlError) -> CurlResponse {
        try await http.send(
            method, path, body: body, headers: own + headers.map { ($0.name, $0.value) }, onOrigin: onOrigin,
            totalTimeoutMilliseconds: totalTimeoutMilliseconds
        ).response
    }
}
