import Collectors
import Foundation

/// `meshtop snapshot`: the JSON object of ARCHITECTURE.md / the issue, or readable tables.
struct SnapshotReport: Encodable {
    let snapshot: Snapshot

    private enum Keys: String, CodingKey { case time, sources, profile, edges, etcd, health, warnings }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(Self.iso(snapshot.time), forKey: .time)
        var sources: [String: SourceJSON] = [:]
        for (source, state) in snapshot.sources { sources[source.rawValue] = SourceJSON(state) }
        try c.encode(sources, forKey: .sources)
        try c.encode(ProfileJSON(snapshot.profile), forKey: .profile)
        try c.encode(snapshot.edges.map(EdgeJSON.init), forKey: .edges)
        try c.encode(snapshot.etcd.map(EtcdJSON.init), forKey: .etcd)
        try c.encode(snapshot.health.map(CheckJSON.init), forKey: .health)
        try c.encode(snapshot.prometheusWarnings, forKey: .warnings)
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
        var configured: Bool
        var ok: Bool
        var latency_ms: Double?
        var last_success: String?
        var error: String?

        init(_ state: SourceFreshness) {
            configured = state.configured
            ok = state.ok
            latency_ms = SnapshotReport.milliseconds(state.latency)
            last_success = state.lastSuccess.map(SnapshotReport.iso)
            error = state.error
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(configured, forKey: .configured)
            try c.encode(ok, forKey: .ok)
            try c.encode(latency_ms, forKey: .latency_ms)
            try c.encode(last_success, forKey: .last_success)
            try c.encode(error, forKey: .error)
        }

        enum CodingKeys: CodingKey { case configured, ok, latency_ms, last_success, error }
    }

    /// `{"name": "envoy", "choice": "auto", "no_series": null}`; name null while auto found nothing.
    struct ProfileJSON: Encodable {
        var name: String?
        var choice: String
        var no_series: String?

        init(_ status: ProfileStatus) {
            name = status.active?.rawValue
            choice = status.choice.rawValue
            no_series = status.noSeries
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(choice, forKey: .choice)
            try c.encode(no_series, forKey: .no_series)
        }

        enum CodingKeys: CodingKey { case name, choice, no_series }
    }

    struct EdgeJSON: Encodable {
        var source: String
        var destination: String
        var destination_service: String
        var rps: Double?
        var success_rate: Double?
        var p50_ms: Double?
        var p90_ms: Double?
        var p99_ms: Double?
        var codes: [String: Double?]
        var flags: [String: Double?]
        var tcp_sent_bps: Double?
        var tcp_received_bps: Double?
        /// The seconds the rates are over when the edge is younger than the window.
        var rate_seconds: Double?

        init(_ edge: EdgeStats) {
            source = edge.key.source
            destination = edge.key.destination
            destination_service = edge.key.destinationService
            rps = edge.rps.rounded(toPlaces: 3)
            success_rate = edge.successRate.flatMap { $0.rounded(toPlaces: 4) }
            p50_ms = edge.p50.flatMap { $0.rounded(toPlaces: 2) }
            p90_ms = edge.p90.flatMap { $0.rounded(toPlaces: 2) }
            p99_ms = edge.p99.flatMap { $0.rounded(toPlaces: 2) }
            codes = edge.codes.mapValues { $0.rounded(toPlaces: 3) }
            flags = edge.flags.mapValues { $0.rounded(toPlaces: 3) }
            tcp_sent_bps = edge.tcpSent.flatMap { $0.rounded(toPlaces: 1) }
            tcp_received_bps = edge.tcpReceived.flatMap { $0.rounded(toPlaces: 1) }
            rate_seconds = edge.rateSeconds.flatMap { $0.rounded(toPlaces: 1) }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(source, forKey: .source)
            try c.encode(destination, forKey: .destination)
            try c.encode(destination_service, forKey: .destination_service)
            try c.encode(rps, forKey: .rps)
            try c.encode(success_rate, forKey: .success_rate)
            try c.encode(p50_ms, forKey: .p50_ms)
            try c.encode(p90_ms, forKey: .p90_ms)
            try c.encode(p99_ms, forKey: .p99_ms)
            try c.encode(codes, forKey: .codes)
            try c.encode(flags, forKey: .flags)
            try c.encode(tcp_sent_bps, forKey: .tcp_sent_bps)
            try c.encode(tcp_received_bps, forKey: .tcp_received_bps)
            try c.encode(rate_seconds, forKey: .rate_seconds)
        }

        enum CodingKeys: CodingKey {
            case source, destination, destination_service, rps, success_rate, p50_ms, p90_ms, p99_ms, codes, flags
            case tcp_sent_bps, tcp_received_bps, rate_seconds
        }
    }

    /// 64-bit ids as decimal strings (JSON numbers lose them in most readers) and hex, as etcdctl shows them.
    struct EtcdJSON: Encodable {
        let view: EtcdClusterView

        init(_ view: EtcdClusterView) { self.view = view }

        enum Keys: String, CodingKey {
            case cluster_id, cluster_ids, leader, revision, revision_rate, raft_term, elections, raft_spread
            case v2, v2_index, v2_index_rate, members, member_list_error, members_skipped, members_skipped_reason
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(view.clusterID.map(String.init), forKey: .cluster_id)
            try c.encode(view.clusterIDs.map(String.init), forKey: .cluster_ids)
            try c.encode(view.leader.map(String.init), forKey: .leader)
            try c.encode(view.revision, forKey: .revision)
            try c.encode(view.revisionRate.flatMap { $0.rounded(toPlaces: 2) }, forKey: .revision_rate)
            try c.encode(view.raftTerm, forKey: .raft_term)
            try c.encode(view.elections, forKey: .elections)
            try c.encode(view.raftSpread, forKey: .raft_spread)
            let v2: String =
                switch view.v2 {
                case .on: "on"
                case .off: "off"
                case .unreachable(let reason): "unreachable: \(reason)"
                }
            try c.encode(v2, forKey: .v2)
            try c.encode(view.v2Index, forKey: .v2_index)
            try c.encode(view.v2IndexRate.flatMap { $0.rounded(toPlaces: 2) }, forKey: .v2_index_rate)
            try c.encode(view.members.map(MemberJSON.init), forKey: .members)
            try c.encode(view.memberListError, forKey: .member_list_error)
            try c.encode(view.skipped.count, forKey: .members_skipped)
            try c.encode(view.skipped.note, forKey: .members_skipped_reason)
        }
    }

    struct MemberJSON: Encodable {
        let member: EtcdMemberStatus

        init(_ member: EtcdMemberStatus) { self.member = member }

        enum Keys: String, CodingKey {
            case id, id_hex, name, endpoint, version, healthy, is_leader, error, raft_index, raft_applied_index, raft_term
            case revision, db_size, db_size_in_use, latency_ms
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(member.id.map(String.init), forKey: .id)
            try c.encode(member.id.map(HealthEvaluator.hex), forKey: .id_hex)
            try c.encode(member.name, forKey: .name)
            try c.encode(member.endpoint, forKey: .endpoint)
            try c.encode(member.version, forKey: .version)
            try c.encode(member.healthy ?? false, forKey: .healthy)
            try c.encode(member.isLeader, forKey: .is_leader)
            try c.encode(member.error, forKey: .error)
            try c.encode(member.raftIndex, forKey: .raft_index)
            try c.encode(member.raftAppliedIndex, forKey: .raft_applied_index)
            try c.encode(member.raftTerm, forKey: .raft_term)
            try c.encode(member.revision, forKey: .revision)
            try c.encode(member.dbSize, forKey: .db_size)
            try c.encode(member.dbSizeInUse, forKey: .db_size_in_use)
            try c.encode(SnapshotReport.milliseconds(member.latency), forKey: .latency_ms)
        }
    }

    struct CheckJSON: Encodable {
        var name: String
        var status: String
        var message: String
        var latency_ms: Double?

        init(_ check: HealthCheck) {
            name = check.name
            status = check.status.rawValue
            message = check.message
            latency_ms = SnapshotReport.milliseconds(check.latency)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(status, forKey: .status)
            try c.encode(message, forKey: .message)
            try c.encode(latency_ms, forKey: .latency_ms)
        }

        enum CodingKeys: CodingKey { case name, status, message, latency_ms }
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
