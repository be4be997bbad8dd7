import Collectors

/// The Requests panel: access-log lines paired by x-request-id, newest first.
enum RequestsPanel {
    static func content(_ model: ScreenModel, _ state: UIState, width: Int) -> PanelContent {
        var title: Line = [Segment("Requests", .heading), Segment("  pairs by x-request-id", .dimmed)]
        guard let feed = model.requests else {
            return PanelContent(
                title: title, lines: [], empty: [Segment("no access logs: --logs FILE, - or k8s:NAMESPACE/SELECTOR", .dimmed)],
                wanted: 1, minimum: 1)
        }
        let unpaired = feed.unpaired
        title.append(
            Segment(
                "  (\(Format.count(feed.paired)) paired · \(Format.count(unpaired.clientOnly)) client-only · "
                    + "\(Format.count(unpaired.serverOnly)) server-only)"))
        if feed.malformed > 0 { title.append(Segment("  \(Format.count(feed.malformed)) malformed", .warn)) }
        if state.errorsOnly { title.append(Segment("  errors only", .warn)) }
        if let filter = state.filters[.requests] { title.append(Segment("  filter " + filter.text, .warn)) }

        // Newest request first, its hops in chain order; only the rows on screen become lines.
        let filter = state.filters[.requests]
        let all = feed.positions
        let shown: [RequestFeed.Position] =
            !state.errorsOnly && filter == nil
            ? all
            : all.filter { position in
                let row = feed[position]
                if state.errorsOnly, !row.isError { return false }
                if let filter, !filter.matches(row.searchText) { return false }
                return true
            }
        let waiting = model.logSources.joined(separator: ", ")
        var empty: Line = [Segment(feed.lines == 0 ? "waiting for lines from " + waiting : "no request matches", .dimmed)]
        if let note = model.logNotes.last, feed.lines == 0 { empty.append(Segment("  " + note, .warn)) }
        return PanelContent(
            title: title, lineCount: shown.count, line: { line(feed[shown[$0]], width: width) }, empty: empty,
            items: .init(count: shown.count) { .request(feed.serial(at: shown[$0])) }, itemLines: Array(shown.indices),
            wanted: max(3, shown.count), minimum: 1)
    }

    /// "16:28:24.640  PUT /v2/keys/istioTest   201  client 6 ms  server 4 ms  +2 ms  etcd-service:2379".
    static func line(_ row: RequestRow, width: Int) -> Line {
        let record = row.main
        let lone = row.kind != .pair
        let look: Style = lone ? .dimmed : .plain
        let first = row.hop > 1 ? "  ↳ hop \(row.hop)" : Format.logTime(record?.startTime)
        // The request takes what the fixed columns leave, at least 16 columns; the authority
        // gets 18 of them once the terminal is wide enough.
        let fixed = 14 + 5 + 15 + 15 + 9
        let requestWidth = max(16, min(60, width - fixed - (width >= 110 ? 18 : 0)))
        var line: Line = [
            Segment(Format.fit(first, 12) + "  ", look),
            Segment(Format.fit(ConnectionText.route(record), requestWidth) + "  ", look),
        ]
        let code = row.code.map(String.init) ?? "-"
        line.append(Segment(Format.fit(code, 3, right: true) + "  ", row.isError ? .warn : (lone ? .dimmed : .good)))
        switch row.kind {
        case .pair:
            line.append(Segment(Format.fit("client " + Format.milliseconds(row.client?.duration), 13) + "  "))
            line.append(Segment(Format.fit("server " + Format.milliseconds(row.server?.duration), 13) + "  "))
            let overhead = row.overheadMilliseconds.map { ($0 >= 0 ? "+" : "") + "\($0) ms" } ?? "-"
            line.append(Segment(Format.fit(overhead, 7, right: true) + "  ", .dimmed))
        case .clientOnly:
            line.append(Segment(Format.fit("client " + Format.milliseconds(row.client?.duration), 13) + "  ", look))
            line.append(Segment(Format.fit("client only", 13) + "  ", look))
            line.append(Segment(String(repeating: " ", count: 9), look))
        case .serverOnly:
            line.append(Segment(Format.fit("server only", 13) + "  ", look))
            line.append(Segment(Format.fit("server " + Format.milliseconds(row.server?.duration), 13) + "  ", look))
            line.append(Segment(String(repeating: " ", count: 9), look))
        }
        let flags = record?.responseFlags.flatMap { $0 == "-" ? nil : $0 }
        if let flags { line.append(Segment(flags + " ", .warn)) }
        line.append(Segment(record?.authority ?? "", .dimmed))
        return line
    }
}
