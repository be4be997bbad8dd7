import Collectors

/// The Traffic panel: one row per source → destination edge from Prometheus.
enum TrafficPanel {
    private enum Field: CaseIterable { case tls, name, rps, success, p50, p90, p99, codes, trend }

    private struct Column {
        var field: Field
        var title: String
        var width: Int
        /// Columns with the highest number go first when the terminal is narrow.
        var priority: Int
        var sort: UIState.SortColumn?
    }

    private static let columns: [Column] = [
        // The mTLS mark: one cell, kept as long as the name is, shown when some edge has one.
        Column(field: .tls, title: " ", width: 1, priority: 0, sort: nil),
        Column(field: .name, title: "SOURCE → DESTINATION", width: 28, priority: 0, sort: .name),
        Column(field: .rps, title: "RPS", width: 7, priority: 1, sort: .rps),
        Column(field: .success, title: "SUCCESS", width: 8, priority: 2, sort: .success),
        Column(field: .p50, title: "P50", width: 7, priority: 6, sort: .p50),
        Column(field: .p90, title: "P90", width: 7, priority: 7, sort: .p90),
        Column(field: .p99, title: "P99", width: 7, priority: 3, sort: .p99),
        Column(field: .codes, title: "CODES", width: 12, priority: 4, sort: nil),
        Column(field: .trend, title: "TREND", width: 8, priority: 5, sort: nil),
    ]

    static func content(_ model: ScreenModel, _ state: UIState, width: Int) -> PanelContent {
        let snapshot = model.snapshot
        let prometheus = snapshot.backends[.prometheus]
        // The reporter is Istio's: Envoy's cluster stats are always the calling side's.
        let active = snapshot.profile.active
        let tuning = active == .envoy ? "  envoy" : active == .istio ? "  " + reporterTitle(state.reporter, snapshot.edges) : ""
        var title: Line = [Segment("Traffic", .heading), Segment(tuning + "  window \(state.window)", .dimmed)]
        if let scope = state.scope { title.append(Segment("  ns " + scope, .warn)) }
        if state.errorsOnly { title.append(Segment("  errors only", .warn)) }
        if let filter = state.filters[.traffic] { title.append(Segment("  filter " + filter.text, .warn)) }

        let clusters = EdgeKey.spanClusters(snapshot.edges)
        // One pass over the edges by position, their fields read in place: an edge is a
        // dozen references to retain and release, and copying a thousand of them every frame
        // was most of a frame's time.
        let all = snapshot.edges
        var kept: [Int] = []
        kept.reserveCapacity(all.count)
        // The mTLS mark's column when some reporter knows any edge's policy, filtered or not,
        // so a filter does not make the column come and go.
        let marks = all.indices.contains { all[$0].mutualTLS != nil }
        var longest = 0
        for index in all.indices where keep(all, index, state) {
            kept.append(index)
            longest = max(longest, nameWidth(all[index].key, clusters: clusters))
        }
        let order = sorted(all, kept, state)
        let layout = self.layout(width: width, marks: marks, longestName: longest)
        let header: Line = layout.map { column in
            var text = column.title
            if let sort = column.sort, sort == state.sort { text += state.descending ? "▼" : "▲" }
            let right = column.field != .name && column.field != .codes && column.field != .trend
            return Segment(Format.fit(text, column.width, right: right) + " ", .title)
        }
        var empty: Line?
        if prometheus?.configured != true {
            empty = [Segment("Prometheus is not configured: --prometheus URL, or a kube context with istio-system/prometheus", .dimmed)]
        } else if order.isEmpty {
            if let error = prometheus?.error, prometheus?.ok != true {
                empty = [Segment("prometheus: ", .warn), Segment(error, .warn)]
            } else if prometheus?.lastSuccess == nil {
                empty = [Segment("waiting for Prometheus…", .dimmed)]
            } else if let noSeries = snapshot.profile.noSeries {
                empty = [Segment(noSeries, .warn)]
            } else {
                let traffic = "no \(active?.title ?? "mesh") traffic in the last \(state.window)"
                let unmatched = state.scope.map { "no edge from or to namespace \($0)" + (state.filters[.traffic] != nil || state.errorsOnly ? " matches the filter" : "") }
                empty = [Segment(snapshot.edges.isEmpty ? traffic : unmatched ?? "no edge matches the filter", .dimmed)]
            }
        }
        // Only the rows on screen are formatted (and their sparklines drawn).
        let history = snapshot.history
        let thresholds = model.thresholds
        return PanelContent(
            title: title, header: header, lineCount: order.count, line: { row(all[order[$0]], layout, history, thresholds, clusters: clusters) },
            empty: empty, items: .init(count: order.count) { .edge(all[order[$0]].key) }, itemLines: Array(order.indices), wanted: 1 + max(1, order.count), minimum: 2,
            faded: prometheus?.ok == false && !snapshot.edges.isEmpty, countsRows: true)
    }

    /// `source → destination`, each with `@cluster` when the mesh spans several clusters.
    static func name(_ key: EdgeKey, clusters: Bool = false) -> String {
        clusters ? key.sourceInCluster + " → " + key.destinationInCluster : key.source + " → " + key.destination
    }

    /// `reporter=auto`, and under auto how many edges a waypoint reports (ambient mode) and
    /// how many only their source does (calls out of the mesh or to a proxy without telemetry).
    static func reporterTitle(_ reporter: IstioQueries.Reporter, _ edges: [EdgeStats]) -> String {
        let title = "reporter=\(reporter.rawValue)"
        guard reporter == .auto else { return title }
        var waypoint = 0
        var source = 0
        for index in edges.indices {
            switch edges[index].reporter {
            case "waypoint": waypoint += 1
            case "source": source += 1
            default: break
            }
        }
        let parts = [(waypoint, "by waypoint"), (source, "by source")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? title : title + " (" + parts.joined(separator: ", ") + ")"
    }

    /// `●` every request over mutual TLS, `◐` some in the clear, `○` none over mTLS, blank
    /// when the reporter does not know.
    static func tlsMark(_ edge: EdgeStats) -> (String, Style) {
        guard let share = edge.mutualTLS else { return (" ", .plain) }
        if share >= 1 { return ("●", .good) }
        return share > 0 ? ("◐", .warn) : ("○", .warn)
    }

    /// The codes column: HTTP codes and flags; a gRPC edge's statuses by name, failures with
    /// their rate (`UNAVAILABLE 3.2/s`); a TCP edge's connections.
    static func codesText(_ edge: EdgeStats) -> String {
        if edge.isTCPOnly { return "TCP " + Format.rate(edge.tcpOpened ?? 0) + " conn/s" }
        let flags = edge.flags.filter { $0.key != "-" && $0.value > 0 }.keys.sorted()
        guard !edge.grpcStatuses.isEmpty else {
            return (edge.codes.filter { $0.value > 0 }.keys.sorted() + flags).joined(separator: " ")
        }
        let statuses = edge.grpcStatuses.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let failing = statuses.filter { $0.key != "0" }.map { GRPCStatus.name($0.key) + " " + Format.rate($0.value) + "/s" }
        let ok = statuses.contains { $0.key == "0" } ? ["OK"] : []
        // HTTP codes other than 200 still say something of a gRPC edge (a 503 from the proxy).
        let codes = edge.codes.filter { $0.value > 0 && $0.key != "200" }.keys.sorted()
        return (failing + ok + codes + flags).joined(separator: " ")
    }

    /// The namespaces `N` cycles through: every edge's source and destination namespace.
    static func namespaces(_ edges: [EdgeStats]) -> [String] {
        var seen = Set<String>()
        for edge in edges {
            seen.insert(edge.key.sourceNamespace)
            seen.insert(edge.key.destinationNamespace)
        }
        return seen.filter { !$0.isEmpty }.sorted()
    }

    private static func keep(_ edges: [EdgeStats], _ index: Int, _ state: UIState) -> Bool {
        if let scope = state.scope, edges[index].key.sourceNamespace != scope, edges[index].key.destinationNamespace != scope { return false }
        if state.errorsOnly, !isError(edges[index]) { return false }
        if let filter = state.filters[.traffic], !filter.matches(name(edges[index].key) + " " + edges[index].key.destinationService) {
            return false
        }
        return true
    }

    /// At least the columns `name` takes on screen, without making it: UTF-8 bytes are never
    /// fewer than the columns a character fills.
    private static func nameWidth(_ key: EdgeKey, clusters: Bool) -> Int {
        func side(_ namespace: String, _ workload: String, _ cluster: String) -> Int {
            namespace.utf8.count + 1 + workload.utf8.count + (clusters ? cluster.utf8.count + 1 : 0)
        }
        return side(key.sourceNamespace, key.sourceWorkload, key.sourceCluster) + 3
            + side(key.destinationNamespace, key.destinationWorkload, key.destinationCluster)
    }

    /// Some of the edge's requests are `RequestOutcome` errors: a 5xx or 0 code, or a flag.
    static func isError(_ edge: EdgeStats) -> Bool {
        if let success = edge.successRate, success < 1 { return true }
        return edge.codes.keys.contains(where: RequestOutcome.isError(statusLabel:))
            || edge.flags.keys.contains { RequestOutcome.isError(status: nil, flags: $0) }
    }

    /// The positions `kept` of `edges` in the order of the sort column.
    private static func sorted(_ edges: [EdgeStats], _ kept: [Int], _ state: UIState) -> [Int] {
        // Values read in place, once per edge (a copy of an edge is a dozen retains).
        let values: [Double] = kept.map { index in
            switch state.sort {
            case .name: -.infinity
            case .rps: edges[index].rps
            case .success: edges[index].successRate ?? -.infinity
            case .p50: edges[index].p50 ?? -.infinity
            case .p90: edges[index].p90 ?? -.infinity
            case .p99: edges[index].p99 ?? -.infinity
            }
        }
        // Names only for the edges a tie or the name column compares, each made once.
        var names = [String?](repeating: nil, count: kept.count)
        func name(at position: Int) -> String {
            if let known = names[position] { return known }
            let made = Self.name(edges[kept[position]].key)
            names[position] = made
            return made
        }
        func byName(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (name(at: a), name(at: b))
            return x != y ? x < y : edges[kept[a]].key.destinationService < edges[kept[b]].key.destinationService
        }
        let order = kept.indices.sorted { a, b in
            if state.sort != .name, values[a] != values[b] { return state.descending ? values[a] > values[b] : values[a] < values[b] }
            // Ties and the name column: by name, so rows never swap places between frames.
            return state.sort == .name && state.descending ? byName(b, a) : byName(a, b)
        }
        return order.map { kept[$0] }
    }

    /// The columns that fit `width`. Wide terminals give the name column what its longest
    /// name needs, up to 64 columns (Istio's names are long:
    /// `istio-system/istio-ingressgateway → default/proxy-etcd-storage` is 63), then the codes
    /// (a gRPC edge's `UNAVAILABLE 3.2/s OK`), then a longer trend, then the codes again.
    private static func layout(width: Int, marks: Bool, longestName: Int) -> [Column] {
        var chosen = marks ? columns : columns.filter { $0.field != .tls }
        func used(_ set: [Column]) -> Int { set.reduce(0) { $0 + $1.width + 1 } }
        while used(chosen) > width, let drop = chosen.filter({ $0.field != .name && $0.field != .tls }).max(by: { $0.priority < $1.priority }) {
            chosen.removeAll { $0.field == drop.field }
        }
        var spare = max(0, width - used(chosen))
        func grow(_ field: Field, upTo most: Int) {
            guard let at = chosen.firstIndex(where: { $0.field == field }) else { return }
            let more = min(spare, max(0, most))
            chosen[at].width += more
            spare -= more
        }
        let name = columns.first { $0.field == .name }?.width ?? 0
        grow(.name, upTo: min(36, longestName - name))
        grow(.codes, upTo: 18)
        grow(.trend, upTo: 52)
        grow(.codes, upTo: spare)
        if let at = chosen.firstIndex(where: { $0.field == .name }) {
            // Narrower than every column but the name: the name gives up what is missing;
            // without a codes column, it takes what is left.
            chosen[at].width = max(1, chosen[at].width + spare - max(0, used(chosen) - width))
        }
        return chosen
    }

    private static func row(
        _ edge: EdgeStats, _ layout: [Column], _ history: MeshHistory, _ thresholds: HealthThresholds, clusters: Bool
    ) -> Line {
        layout.map { column in
            var style = Style.plain
            let text: String
            switch column.field {
            case .tls: (text, style) = tlsMark(edge)
            case .name: text = name(edge.key, clusters: clusters)
            case .rps: text = edge.isTCPOnly ? "-" : Format.rate(edge.rps)
            case .success:
                text = Format.percent(edge.successRate)
                if let success = edge.successRate, success < thresholds.successRate { style = .warn }
            case .p50: text = Format.milliseconds(edge.p50)
            case .p90: text = Format.milliseconds(edge.p90)
            case .p99:
                text = Format.milliseconds(edge.p99)
                if let p99 = edge.p99, p99 > thresholds.p99Milliseconds { style = .warn }
            case .codes:
                text = codesText(edge)
                if isError(edge) { style = .warn }
            case .trend:
                let points = history.series[edge.key].map { Array($0) } ?? []
                text = Sparkline.render(points.map(\.rps), width: column.width)
                style = .good
            }
            let right = column.field != .name && column.field != .codes && column.field != .trend
            return Segment(Format.fit(text, column.width, right: right) + " ", style)
        }
    }
}
