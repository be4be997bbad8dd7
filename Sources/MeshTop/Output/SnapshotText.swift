import Collectors
import Foundation

/// `meshtop snapshot` without --json: the sources, the edges and the etcd members as tables.
struct SnapshotText {
    let snapshot: Snapshot
    var ledger: TelemetryLedger?
    /// `--from` a recording whose dashboard ran the load: its progress by then.
    var load: LoadStatus? = nil

    func lines() -> [String] {
        var lines: [String] = []
        lines.append("SOURCE      STATE  LATENCY  AGE    ERROR")
        for source in Snapshot.Backend.allCases {
            guard let state = snapshot.backends[source] else { continue }
            guard state.configured else {
                lines.append(pad(source.rawValue, 11) + " " + pad("off", 6) + " -        -      not configured")
                continue
            }
            let latency = SnapshotReport.milliseconds(state.latency).map { "\(HealthText.number($0))ms" } ?? "-"
            let age = state.age(at: snapshot.time).map { "\(Int($0.rounded()))s" } ?? "never"
            lines.append(
                pad(source.rawValue, 11) + " " + pad(state.ok ? "ok" : "error", 6) + " " + pad(latency, 8) + " " + pad(age, 6)
                    + " " + ControlBytes.sanitize(state.error ?? "-"))
        }
        lines.append("")
        let prometheus = snapshot.backends[.prometheus]?.configured == true
        lines.append("EDGES (\(snapshot.edges.count))" + (prometheus ? "  profile \(snapshot.profile.label)" : ""))
        if prometheus, let noSeries = snapshot.profile.noSeries { lines.append(noSeries) }
        if !snapshot.edges.isEmpty {
            let clusters = EdgeKey.spanClusters(snapshot.edges.map(\.key))
            let rows = snapshot.edges.map { edgeRow($0, clusters: clusters) }
            lines += table(["SOURCE", "DESTINATION", "SERVICE", "RPS", "SUCCESS", "MTLS", "P50", "P90", "P99", "CODES/S"], rows)
        }
        if let etcd = snapshot.etcd {
            lines.append("")
            var header = "ETCD cluster \(etcd.clusterID.map(EtcdID.text) ?? "?")"
            header += "  leader \(etcd.leader.map(EtcdID.text) ?? "none")"
            header += "  revision \(etcd.revision.map(String.init) ?? "?")"
            if let rate = etcd.revisionRate { header += " (\(format(rate, 1))/s)" }
            header += "  term \(etcd.raftTerm.map(String.init) ?? "?")  elections \(etcd.elections)"
            switch etcd.v2 {
            case .on(let index, _, _, _): header += "  v2 index \(index)" + (etcd.v2IndexRate.map { " (\(format($0, 1))/s)" } ?? "")
            case .off: header += "  v2 API off"
            case .unreachable(let reason): header += "  v2 unreachable: \(reason)"
            }
            if let note = etcd.skipped.note { header += "  " + note }
            lines.append(ControlBytes.sanitize(header))
            let rows = etcd.members.map(memberRow)
            lines += table(["ID", "NAME", "ENDPOINT", "STATE", "RAFT INDEX", "TERM", "REVISION", "DB", "VERSION", "ERROR"], rows)
        }
        if let ledger, !ledger.rows.isEmpty {
            let text = LedgerText(ledger: ledger)
            lines.append("")
            lines.append(text.title)
            lines += text.table
            lines += text.causes
        }
        if let load {
            lines.append("")
            lines += RecordedLoadText(load: load).lines()
        }
        if !snapshot.prometheusWarnings.isEmpty {
            lines.append("")
            lines += snapshot.prometheusWarnings.map { "prometheus warning: \(ControlBytes.sanitize($0))" }
        }
        return lines
    }

    private func edgeRow(_ edge: EdgeStats, clusters: Bool) -> [String] {
        func percent(_ share: Double?) -> String { share.map { $0.isFinite ? format($0 * 100, 2) + "%" : Format.notFinite } ?? "-" }
        // gRPC statuses by name (`UNAVAILABLE:3.2`), a TCP edge's connections, else HTTP codes.
        let codes: String =
            edge.isTCPOnly
            ? "tcp:\(format(edge.tcpOpened ?? 0, 1))conn"
            : (edge.grpcStatuses.isEmpty ? edge.codes : Dictionary(uniqueKeysWithValues: edge.grpcStatuses.map { (GRPCStatus.name($0.key), $0.value) }))
                .sorted { $0.key < $1.key }.map { "\($0.key):\(format($0.value, 1))" }.joined(separator: " ")
        let cells: [String] = [
            clusters ? edge.key.sourceInCluster : edge.key.source, clusters ? edge.key.destinationInCluster : edge.key.destination,
            edge.key.destinationService, edge.isTCPOnly ? "-" : format(edge.rps, 1), percent(edge.successRate),
            percent(edge.mutualTLS), ms(edge.p50), ms(edge.p90), ms(edge.p99), codes,
        ]
        return cells.map { ControlBytes.sanitize($0) }
    }

    private func memberRow(_ member: EtcdMemberStatus) -> [String] {
        func text(_ value: UInt64?) -> String { value.map { String($0) } ?? "-" }
        let state: String = member.healthy == true ? (member.isLeader ? "leader" : "healthy") : "DOWN"
        let db: String = member.dbSize.map { "\($0 / 1024)KiB" } ?? "-"
        let cells: [String] = [
            member.id.map(EtcdID.text) ?? "?", member.name ?? "-", member.endpoint, state, text(member.raftIndex),
            text(member.raftTerm), text(member.revision), db, member.version ?? "-", member.error ?? "",
        ]
        // Names and errors are the members' own words: a table cell holds a line's worth.
        return cells.map { ControlBytes.sanitize($0, limit: 200) }
    }

    private func ms(_ value: Double?) -> String { value.map { format($0, 1) + "ms" } ?? "-" }

    private func format(_ value: Double, _ places: Int) -> String { Format.decimal(value, places: places) }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func table(_ header: [String], _ rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return ([header] + rows).map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : pad($0.element, widths[$0.offset]) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}
