import Foundation

/// gRPC's status codes, by the number Istio puts in `grpc_response_status` and the name
/// users know them by (`UNAVAILABLE`).
public enum GRPCStatus {
    public static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]

    /// The name of a status label's number; the label itself when it is none of the 17.
    public static func name(_ label: String) -> String {
        guard let code = Int(label), names.indices.contains(code) else { return label }
        return names[code]
    }

    /// The number of a code given by name (any case) or number.
    public static func code(_ text: String) -> Int? {
        if let code = Int(text) { return names.indices.contains(code) ? code : nil }
        return names.firstIndex(of: text.uppercased())
    }
}

/// Which gRPC statuses count as failed calls, as Kiali's health tolerances choose them:
/// every status but OK unless configured (`grpc_failure_codes`), since a gRPC call that
/// fails still answers HTTP 200.
public struct GRPCFailures: Sendable, Equatable {
    public let codes: Set<Int>

    public static let standard = GRPCFailures(codes: Set(1..<GRPCStatus.names.count))

    public init(codes: Set<Int>) { self.codes = codes }

    /// A comma-separated list of names or numbers (`UNAVAILABLE,DEADLINE_EXCEEDED,13`), or
    /// `none`. Nil names what is not a gRPC status.
    public init?(list: String) {
        let items = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if items == ["none"] {
            codes = []
            return
        }
        var codes = Set<Int>()
        for item in items {
            guard let code = GRPCStatus.code(item) else { return nil }
            codes.insert(code)
        }
        guard !codes.isEmpty else { return nil }
        self.codes = codes
    }

    /// Whether a series' `grpc_response_status` label is a failure; an empty or unknown label is not.
    public func isFailure(_ label: String) -> Bool { Int(label).map(codes.contains) ?? false }

    /// The list as names, for `--help`-style echoes and the snapshot.
    public var names: [String] { codes.sorted().map { GRPCStatus.names[$0] } }
}
