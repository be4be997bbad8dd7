/// What counts as an error, in every panel and count meshtop shows: a 5xx, no answer at all
/// (status 0, as Envoy logs it), an Envoy response flag other than "-" and DI, or a gRPC status
/// other than OK. A 4xx is the client's mistake, answered: not an error of the mesh. DI says a
/// fault filter delayed the request, which was then answered: slow, not failed.
public enum RequestOutcome {
    /// - Parameters: `status` 0 means no answer came, nil that the line does not say;
    ///   `grpcStatus` is Envoy's `%GRPC_STATUS%` as a number or a name ("OK", "UNAVAILABLE"…).
    public static func isError(status: Int?, flags: String? = nil, grpcStatus: String? = nil) -> Bool {
        if let status, status == 0 || status >= 500 { return true }
        if let flags, !flags.isEmpty, flags != "-", flags != "DI" {
            // Envoy joins several flags with commas.
            return flags.split(separator: ",").contains { $0 != "DI" && $0 != "-" }
        }
        if let grpcStatus, !grpcStatus.isEmpty, grpcStatus != "-", grpcStatus != "0", grpcStatus != "OK" { return true }
        return false
    }

    /// A status class or code as Prometheus labels carry it ("503", "5xx", "0").
    public static func isError(statusLabel label: String) -> Bool {
        label.hasPrefix("5") || label == "0"
    }
}

extension AccessLogRecord {
    /// `RequestOutcome.isError` of this line alone; a ztunnel connection, whether it failed.
    public var isError: Bool {
        if let connection { return connection.failed }
        return RequestOutcome.isError(status: responseCode, flags: responseFlags, grpcStatus: extra["grpc_status"])
    }
}
