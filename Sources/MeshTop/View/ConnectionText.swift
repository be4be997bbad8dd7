import Collectors

/// How a row names what it was: an Envoy line's method and path, a ztunnel connection's
/// two ends (workloads where ztunnel knew them, else addresses). Raw: callers draw through
/// `Grid` or `RecordText`, which sanitise.
enum ConnectionText {
    static func route(_ record: AccessLogRecord?) -> String {
        if let connection = record?.connection { return "TCP " + peers(connection) }
        return (record?.method ?? "-") + " " + (record?.path ?? "-")
    }

    static func peers(_ c: ConnectionRecord) -> String {
        func named(_ workload: String?, _ namespace: String?) -> String? {
            workload.map { name in namespace.map { "\($0)/\(name)" } ?? name }
        }
        let source = named(c.sourceWorkload, c.sourceNamespace) ?? c.sourceAddress ?? "-"
        let target = c.destinationService ?? named(c.destinationWorkload, c.destinationNamespace) ?? c.destinationHBONEAddress
            ?? c.destinationAddress ?? "-"
        return source + " → " + target
    }
}
