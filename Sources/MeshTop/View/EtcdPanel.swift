import Collectors

/// The etcd panel: the cluster in its title, one cell per member flowed over the lines.
enum EtcdPanel {
    /// A member's probe in `RequestOutcome`'s terms: no answer is status 0, and a member
    /// that is not healthy answers /health with etcd's 503; one not yet asked counts too.
    static func isError(_ member: EtcdMemberStatus) -> Bool {
        RequestOutcome.isError(status: member.error != nil ? 0 : member.healthy == true ? 200 : 503)
    }

    static func content(_ model: ScreenModel, _ state: UIState, width: Int, focused: Bool) -> PanelContent {
        let source = model.snapshot.backends[.etcd]
        var title: Line = [Segment("etcd", .heading)]
        guard source?.configured == true else {
            return PanelContent(
                title: title, lines: [], empty: [Segment("etcd is not configured: --etcd URL[,URL…]", .dimmed)], wanted: 1, minimum: 1)
        }
        guard let view = model.snapshot.etcd else {
            let text = source?.error.map { "etcd: " + $0 } ?? "waiting for etcd…"
            return PanelContent(title: title, lines: [], empty: [Segment(text, source?.error == nil ? .dimmed : .warn)], wanted: 1, minimum: 1)
        }
        title += clusterLine(view, model)
        if state.errorsOnly { title.append(Segment("  errors only", .warn)) }
        if let filter = state.filters[.etcd] { title.append(Segment("  filter " + filter.text, .warn)) }

        let members = view.members.filter { member in
            if state.errorsOnly, !isError(member) { return false }
            if let filter = state.filters[.etcd], !filter.matches(ScreenModel.memberName(member) + " " + member.endpoint) { return false }
            return true
        }
        let highest = view.members.compactMap(\.raftIndex).max()
        var lines: [Line] = []
        var current: Line = []
        var used = 0
        var itemLines: [Int] = []
        for (index, member) in members.enumerated() {
            var cell = self.cell(member, top: highest, thresholds: model.thresholds)
            if focused, index == state.selected(.etcd) { cell = cell.map { Segment($0.text, Style.selected) } }
            let cellWidth = cell.reduce(0) { $0 + DisplayWidth.of($1.text) }
            if used > 0, used + 4 + cellWidth > width {
                lines.append(current)
                current = []
                used = 0
            }
            if used > 0 {
                current.append(Segment("    "))
                used += 4
            }
            current += cell
            used += cellWidth
            itemLines.append(lines.count)
        }
        if !current.isEmpty { lines.append(current) }
        if let error = view.memberListError { lines.append([Segment("member list: " + error, .warn)]) }
        return PanelContent(
            title: title, lines: lines,
            empty: [Segment(view.members.isEmpty ? "no member answered" : "no member matches", .dimmed)],
            items: .init(members.map { .member($0.endpoint) }), itemLines: itemLines, highlightsLine: false,
            wanted: max(1, lines.count), minimum: 1, faded: source?.ok == false)
    }

    /// "cluster cdf818194e3a8c32  term 2  leader m1  rev 15 (+41/s)  v2 index 15".
    private static func clusterLine(_ view: EtcdClusterView, _ model: ScreenModel) -> Line {
        var line: Line = []
        line.append(Segment("  cluster " + (view.clusterID.map(EtcdID.text) ?? "?")))
        if view.clusterIDMismatch { line.append(Segment(" (members disagree)", .bad)) }
        line.append(Segment("  term " + (view.raftTerm.map(String.init) ?? "?")))
        if view.elections > 0 { line.append(Segment(" (\(view.elections) election\(view.elections == 1 ? "" : "s") seen)", .warn)) }
        if let leader = model.memberName(id: view.leader) {
            line.append(Segment("  leader " + leader))
        } else {
            line.append(Segment("  no leader", .bad))
        }
        var revision = "  rev " + (view.revision.map(String.init) ?? "?")
        if let rate = view.revisionRate { revision += " (+\(Format.rate(rate))/s)" }
        line.append(Segment(revision))
        switch view.v2 {
        case .on(let index, _, _, _): line.append(Segment("  v2 index \(index)"))
        case .off: line.append(Segment("  v2 API off", .dimmed))
        case .unreachable(let reason): line.append(Segment("  v2 " + reason, .warn))
        }
        if let note = view.skipped.note { line.append(Segment("  " + note, .warn)) }
        return line
    }

    /// "m1 ● leader  raft 15/15  db 20 KiB", "m3 ● raft 14/15 (lag 1)", "m2 ✗ connection refused".
    private static func cell(_ member: EtcdMemberStatus, top: UInt64?, thresholds: HealthThresholds) -> Line {
        let name = ScreenModel.memberName(member)
        guard member.healthy == true || member.raftIndex != nil else {
            return [Segment(name + " "), Segment("✗", .bad), Segment(" " + Format.fit(member.error ?? "unhealthy", 28).trimmingCharacters(in: .whitespaces), .warn)]
        }
        var cell: Line = [Segment(name + " "), Segment("●", member.healthy == true ? .good : .bad)]
        if member.isLeader { cell.append(Segment(" leader", .title)) }
        if let index = member.raftIndex {
            cell.append(Segment((member.isLeader ? "  " : " ") + "raft \(index)/\(member.raftAppliedIndex.map(String.init) ?? "?")"))
            if let top, top > index {
                let lag = top - index
                cell.append(Segment(" (lag \(lag))", lag > thresholds.raftLag ? .warn : .dimmed))
            }
        }
        if let size = member.dbSize { cell.append(Segment("  db " + Format.bytes(size), .dimmed)) }
        if member.healthy != true { cell.append(Segment("  " + (member.error ?? "unhealthy"), .warn)) }
        return cell
    }
}
