import Foundation

/// Which PromQL backend answers: they share `/api/v1/query` but not readiness, and not all
/// of them scrape (so not all have `/api/v1/targets`).
public enum PrometheusKind: String, Sendable, Equatable, CaseIterable {
    case prometheus, victoriametrics, mimir, thanos, generic

    /// Where readiness is asked; nil: a query of `1` stands in for it. `onOrigin`: at the
    /// URL's root, not under its path prefix (Mimir's API is under `/prometheus`, its
    /// `/ready` is not; vmselect's is under `/select/0/prometheus`, its `/health` is not).
    public var readiness: (path: String, onOrigin: Bool)? {
        switch self {
        // Thanos Query answers Prometheus's `/-/ready`, under its route prefix like Prometheus.
        case .prometheus, .thanos: ("/-/ready", false)
        case .victoriametrics: ("/health", true)
        case .mimir: ("/ready", true)
        case .generic: nil
        }
    }

    /// Whether `/api/v1/targets` is worth asking: Mimir only stores what is written to it;
    /// a generic backend is asked, and a 404 from it means it has none.
    public var hasTargets: Bool { self != .mimir }

    /// Whether no active target is worth a warning: only for a Prometheus, which gets all
    /// its data by scraping. VictoriaMetrics and Thanos are often written to instead.
    public var needsTargets: Bool { self == .prometheus }

    /// The kind, from `/api/v1/status/buildinfo` under the prefix and `/health` at the root
    /// (nil: no answer, e.g. a transport error). Pure, so each rule is tested without servers:
    /// Mimir names itself in `data.application`; Thanos reports its own 0.x version where
    /// Prometheus reports 2.x or later; VictoriaMetrics answers buildinfo with an empty
    /// `data` and `/health` with "OK".
    public static func detect(buildInfo: (status: Int, body: [UInt8])?, health: (status: Int, body: [UInt8])?) -> PrometheusKind {
        var data: [String: Any]?
        if let buildInfo, buildInfo.status == 200,
            let object = try? JSONSerialization.jsonObject(with: Data(buildInfo.body)) as? [String: Any]
        {
            data = object["data"] as? [String: Any]
        }
        if let application = data?["application"] as? String, application.lowercased().contains("mimir") { return .mimir }
        if let version = data?["version"] as? String, !version.isEmpty {
            return version.hasPrefix("0.") ? .thanos : .prometheus
        }
        if let health, health.status == 200,
            String(decoding: health.body.prefix(16), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "OK"
        {
            return .victoriametrics
        }
        return .generic
    }
}
