import Collectors
import Foundation

/// `meshtop snapshot`: one JSON object (its keys are in the README), or readable tables.
struct SnapshotReport: Encodable {
    let snapshot: Snapshot
    var ledger: TelemetryLedger?
    /// `--from` a recording whose dashboard ran the load: its progress by then.
    var load: LoadStatus? = nil

    private enum Keys: String, CodingKey { case time, sources, profile, edges, etcd, health, warnings, ledger, load }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(Self.iso(snapshot.time), forKey: .time)
        var sources: [String: SourceJSON] = [:]
        for (source, state) in snapshot.backends { sources[source.rawValue] = SourceJSON(state) }
        try c.encode(sources, forKey: .sources)
        try c.encode(ProfileJSON(snapshot.profile), forKey: .profile)
        try c.encode(snapshot.edges.map(EdgeJSON.init), forKey: .edges)
        try c.encode(snapshot.etcd.map(EtcdJSON.init), forKey: .etcd)
        try c.encode(snapshot.health.map(CheckJSON.init), forKey: .health)
        try c.encode(snapshot.prometheusWarnings, forKey: .warnings)
        try c.encode(ledger.map(LedgerJSON.init), forKey: .ledger)
        try c.encode(load.map(RecordedLoadText.Object.init), forKey: .load)
    }

    /// `{since, balanced, counter_resets, overflow, rows: [{hop, sent, metrics, client_lines,
    /// server_lines, paired, gaps: [{kind, count, of, cause}]}]}`, every key present.
    struct LedgerJSON: Encodable {
        let ledger: TelemetryLedger
        init(_ ledger: TelemetryLedger) { self.ledger = ledger }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "since": ledger.since.map(SnapshotReport.iso), "balanced": ledger.balanced, "counter_resets": ledger.counterResets,
                "overflow": ledger.overflow, "rows": ledger.rows.map(RowJSON.init),
            ])
        }
    }

    struct RowJSON: Encodable {
        let row: TelemetryLedger.Row
        init(_ row: TelemetryLedger.Row) { self.row = row }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "hop": row.hop, "sent": row.sent,
                "metrics": Dictionary(uniqueKeysWithValues: row.metrics.map { ($0.key.rawValue, $0.value) }),
                "client_lines": row.clientLines, "server_lines": row.serverLines, "paired": row.paired,
                "gaps": row.gaps.map(GapJSON.init),
            ])
        }
    }

    struct GapJSON: Encodable {
        let gap: TelemetryLedger.Gap
        init(_ gap: TelemetryLedger.Gap) { self.gap = gap }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields(["kind": gap.kind.rawValue, "count": gap.count, "of": gap.of, "cause": gap.cause])
        }
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func milliseconds(_ duration: Duration?) -> Double? {
        duration.flatMap { $0.inMilliseconds.rounded(toPlaces: 1) }
    }

    struct SourceJSON: Encodable {
        let state: BackendFreshness
        init(_ state: BackendFreshness) { self.state = state }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "configured": state.configured, "ok": state.ok, "latency_ms": SnapshotReport.milliseconds(state.latency),
                "last_success": state.lastSuccess.map(SnapshotReport.iso), "error": state.error,
            ])
        }
    }

    /// `{"name": "envoy", "choice": "auto", "no_series": null}`; name null while auto found nothing.
    struct ProfileJSON: Encodable {
        let status: ProfileStatus
        init(_ status: ProfileStatus) { self.status = status }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields(["name": status.active?.rawValue, "choice": status.choice.rawValue, "no_series": status.noSeries])
        }
    }

    struct EdgeJSON: Encodable {
        let edge: EdgeStats
        init(_ edge: EdgeStats) { self.edge = edge }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "source": edge.key.source, "destination": edge.key.destination, "destination_service": edge.key.destinationService,
                "rps": edge.rps.rounded(toPlaces: 3), "success_rate": edge.successRate.flatMap { $0.rounded(toPlaces: 4) },
                "p50_ms": edge.p50.flatMap { $0.rounded(toPlaces: 2) }, "p90_ms": edge.p90.flatMap { $0.rounded(toPlaces: 2) },
                "p99_ms": edge.p99.flatMap { $0.rounded(toPlaces: 2) }, "codes": edge.codes.mapValues { $0.rounded(toPlaces: 3) },
                "flags": edge.flags.mapValues { $0.rounded(toPlaces: 3) }, "tcp_sent_bps": edge.tcpSent.flatMap { $0.rounded(toPlaces: 1) },
                "tcp_received_bps": edge.tcpReceived.flatMap { $0.rounded(toPlaces: 1) },
                // The seconds the rates are over while the edge is younger than the window.
                "rate_seconds": edge.rateSeconds.flatMap { $0.rounded(toPlaces: 1) },
                "source_cluster": edge.key.sourceCluster.isEmpty ? nil : edge.key.sourceCluster,
                "destination_cluster": edge.key.destinationCluster.isEmpty ? nil : edge.key.destinationCluster,
                "reporter": edge.reporter, "failed_rps": edge.failed.rounded(toPlaces: 3),
                "grpc_statuses": edge.grpcStatuses.isEmpty
                    ? nil : Dictionary(uniqueKeysWithValues: edge.grpcStatuses.map { (GRPCStatus.name($0.key), $0.value.rounded(toPlaces: 3)) }),
                "request_messages_ps": edge.requestMessages.flatMap { $0.rounded(toPlaces: 3) },
                "response_messages_ps": edge.responseMessages.flatMap { $0.rounded(toPlaces: 3) },
                "tcp_opened_ps": edge.tcpOpened.flatMap { $0.rounded(toPlaces: 3) },
                "tcp_closed_ps": edge.tcpClosed.flatMap { $0.rounded(toPlaces: 3) },
                "mtls_share": edge.mutualTLS.flatMap { $0.rounded(toPlaces: 4) },
            ])
        }
    }

    /// 64-bit ids as decimal strings (JSON numbers lose them in most readers) and hex, as etcdctl shows them.
    struct EtcdJSON: Encodable {
        let view: EtcdClusterView
        init(_ view: EtcdClusterView) { self.view = view }

        func encode(to encoder: any Encoder) throws {
            let v2: String =
                switch view.v2 {
                case .on: "on"
                case .off: "off"
                case .unreachable(let reason): "unreachable: \(reason)"
                }
            try encoder.encodeFields([
                "cluster_id": view.clusterID.map(String.init), "cluster_ids": view.clusterIDs.map(String.init),
                "leader": view.leader.map(String.init), "revision": view.revision,
                "revision_rate": view.revisionRate.flatMap { $0.rounded(toPlaces: 2) }, "raft_term": view.raftTerm,
                "elections": view.elections, "raft_spread": view.raftLag, "v2": v2, "v2_index": view.v2Index,
                "v2_index_rate": view.v2IndexRate.flatMap { $0.rounded(toPlaces: 2) }, "members": view.members.map(MemberJSON.init),
                "member_list_error": view.memberListError, "members_skipped": view.skipped.count,
                "members_skipped_reason": view.skipped.note,
            ])
        }
    }

    struct MemberJSON: Encodable {
        let member: EtcdMemberStatus
        init(_ member: EtcdMemberStatus) { self.member = member }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "id": member.id.map(String.init), "id_hex": member.id.map(EtcdID.text), "name": member.name,
                "endpoint": member.endpoint, "version": member.version, "healthy": member.healthy ?? false,
                "is_leader": member.isLeader, "error": member.error, "raft_index": member.raftIndex,
                "raft_applied_index": member.raftAppliedIndex, "raft_term": member.raftTerm, "revision": member.revision,
                "db_size": member.dbSize, "db_size_in_use": member.dbSizeInUse,
                "latency_ms": SnapshotReport.milliseconds(member.latency),
            ])
        }
    }

    struct CheckJSON: Encodable {
        let check: HealthCheck
        init(_ check: HealthCheck) { self.check = check }

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "name": check.name, "status": check.status.rawValue, "message": check.message,
                "latency_ms": SnapshotReport.milliseconds(check.latency),
            ])
        }
    }
}

extension Double {
    /// Rounded for JSON, or nil (null) when not finite: Prometheus answers `NaN` and `+Inf`,
    /// and JSON has no such numbers.
    func rounded(toPlaces places: Int) -> Double? {
        guard isFinite else { return nil }
        let scale = Foundation.pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
