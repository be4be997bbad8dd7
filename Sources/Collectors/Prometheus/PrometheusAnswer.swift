import Foundation

/// A sample value as Prometheus writes it: a string, since `NaN` and `±Inf` are values too.
public struct PrometheusPoint: Sendable, Equatable {
    public var time: Double
    public var value: Double

    public init(time: Double, value: Double) {
        self.time = time
        self.value = value
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.time == b.time && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}

/// One labelled series: a single point for a vector, several for a matrix.
public struct PrometheusSeries: Sendable, Equatable {
    public var labels: [String: String]
    public var points: [PrometheusPoint]

    public init(labels: [String: String], points: [PrometheusPoint]) {
        self.labels = labels
        self.points = points
    }

    /// The (last) value, for an instant vector.
    public var value: Double? { points.last?.value }
}

/// The `data` of an `/api/v1/query` or `/api/v1/query_range` answer.
public enum PrometheusResult: Sendable, Equatable {
    case vector([PrometheusSeries])
    case matrix([PrometheusSeries])
    case scalar(PrometheusPoint)
    case string(time: Double, value: String)

    /// The series of a vector or matrix; empty for a scalar or string.
    public var series: [PrometheusSeries] {
        switch self {
        case .vector(let series), .matrix(let series): series
        case .scalar, .string: []
        }
    }
}

public struct PrometheusAnswer: Sendable, Equatable {
    public var result: PrometheusResult
    public var warnings: [String]

    public init(result: PrometheusResult, warnings: [String]) {
        self.result = result
        self.warnings = warnings
    }
}

/// What went wrong, said in one line: the transport, the HTTP status, Prometheus's own
/// `errorType: error`, or an answer that is not Prometheus's JSON.
public struct PrometheusError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case transport, http, api, decode }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension PrometheusAnswer {
    /// Decodes an HTTP answer of the query API. Prometheus sends error payloads with 400,
    /// 422 and 503 too, so the body is read before the status.
    public static func decode(status: Int, body: [UInt8]) throws(PrometheusError) -> PrometheusAnswer {
        // The answer of nearly every poll, read from its bytes; the rest (errors above all) by Foundation.
        if let answer = PrometheusAnswerScanner.answer(body) { return answer }
        return try decodeAnyJSON(status: status, body: body)
    }

    /// The general way: every answer, every error said.
    static func decodeAnyJSON(status: Int, body: [UInt8]) throws(PrometheusError) -> PrometheusAnswer {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let state = object["status"] as? String
        else {
            if !(200..<300).contains(status) {
                throw PrometheusError(.http, "HTTP \(status): \(Self.excerpt(body))")
            }
            throw PrometheusError(.decode, "not a Prometheus API answer: \(Self.excerpt(body))")
        }
        // A peer's text is kept short: a 50 MB warning would be held and printed whole.
        let warnings = (object["warnings"] as? [String] ?? []).prefix(Self.keptWarnings).map {
            ControlBytes.sanitize($0, limit: Self.textLimit)
        }
        guard state == "success" else {
            let type = object["errorType"] as? String ?? "error"
            let message = object["error"] as? String ?? "no message"
            throw PrometheusError(.api, ControlBytes.sanitize("\(type): \(message)", limit: Self.textLimit))
        }
        guard let data = object["data"] as? [String: Any], let type = data["resultType"] as? String else {
            throw PrometheusError(.decode, "answer without data.resultType")
        }
        let raw = data["result"]
        switch type {
        case "vector", "matrix":
            guard let items = raw as? [[String: Any]] else { throw PrometheusError(.decode, "\(type) result is not a list") }
            var series: [PrometheusSeries] = []
            for item in items {
                let labels = item["metric"] as? [String: String] ?? [:]
                var points: [PrometheusPoint] = []
                if type == "vector" {
                    guard let value = item["value"], let point = point(value) else {
                        throw PrometheusError(.decode, "vector sample without a [time, value] pair")
                    }
                    points = [point]
                } else {
                    guard let values = item["values"] as? [Any] else { throw PrometheusError(.decode, "matrix series without values") }
                    for value in values {
                        guard let point = point(value) else { throw PrometheusError(.decode, "matrix value is not [time, value]") }
                        points.append(point)
                    }
                }
                series.append(PrometheusSeries(labels: labels, points: points))
            }
            return PrometheusAnswer(result: type == "vector" ? .vector(series) : .matrix(series), warnings: warnings)
        case "scalar":
            guard let raw, let point = point(raw) else { throw PrometheusError(.decode, "scalar is not [time, value]") }
            return PrometheusAnswer(result: .scalar(point), warnings: warnings)
        case "string":
            guard let pair = raw as? [Any], pair.count == 2, let time = number(pair[0]), let text = pair[1] as? String else {
                throw PrometheusError(.decode, "string is not [time, text]")
            }
            return PrometheusAnswer(result: .string(time: time, value: text), warnings: warnings)
        default:
            throw PrometheusError(.decode, "unknown resultType '\(type)'")
        }
    }

    /// Bytes of a warning or an error text kept, and warnings kept, per answer.
    static let textLimit = 1_024
    static let keptWarnings = 10

    private static func point(_ raw: Any) -> PrometheusPoint? {
        guard let pair = raw as? [Any], pair.count == 2, let time = number(pair[0]), let text = pair[1] as? String,
            let value = Double(text)
        else { return nil }
        return PrometheusPoint(time: time, value: value)
    }

    private static func number(_ raw: Any) -> Double? {
        (raw as? NSNumber)?.doubleValue
    }

    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "empty body" : ControlBytes.sanitize(text)
    }
}
