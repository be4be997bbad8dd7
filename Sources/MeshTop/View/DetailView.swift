import Collectors

/// What Enter opens: every field of an edge, a member or a request, and a request's raw
/// lines wrapped to the screen (sanitised like everything else).
enum DetailView {
    static func lines(_ detail: UIState.Detail, _ model: ScreenModel, width: Int) -> (title: String, lines: [Line]) {
        switch detail {
        case .edge(let key): return edge(key, model)
        case .member(let endpoint): return member(endpoint, model)
        case .request(let block): return request(block, model, width: width)
        case .hops: return hops(model, width: width)
        case .ledger: return ledger(model, width: width)
        case .graph: return ("Graph", [])
        case .node(let node): return self.node(node, model, width: width)
        }
    }

    /// Enter on a graph node: the edges into it and out of it with their figures, and the
    /// recent requests that called it (a client line naming it in its cluster or authority).
    private static func node(_ node: String, _ model: ScreenModel, width: Int) -> (String, [Line]) {
        func matches(_ name: String) -> Bool { name == node || ServiceGraph.namespace(of: name) == node }
        let edges = model.snapshot.edges.filter { $0.rps > 0 || ($0.tcpOpened ?? 0) > 0 }
        let inbound = edges.filter { matches(ServiceGraph.callee($0.key)) }
        let outbound = edges.filter { matches(ServiceGraph.caller($0.key)) }
        var lines: [Line] = []
        func table(_ title: String, _ rows: [EdgeStats], peer: (EdgeKey) -> String) {
            lines.append([Segment(title, .heading)])
            guard !rows.isEmpty else {
                lines.append([Segment("  none", .dimmed)])
                return
            }
            lines.append([Segment("  " + Format.fit("PEER", 48) + "      RPS  SUCCESS      P50      P99", .title)])
            for edge in rows.sorted(by: { $0.rps > $1.rps }) {
                let success = Format.percent(edge.successRate)
                var line: Line = [Segment("  " + Format.fit(ControlBytes.sanitize(peer(edge.key), limit: 200), 48))]
                line.append(Segment(Format.fit(Format.rate(edge.rps), 9, right: true)))
                line.append(Segment(Format.fit(success, 9, right: true), (edge.successRate ?? 1) < model.thresholds.successRate ? .bad : .plain))
                line.append(Segment(Format.fit(Format.milliseconds(edge.p50), 9, right: true)))
                line.append(Segment(Format.fit(Format.milliseconds(edge.p99), 9, right: true), (edge.p99 ?? 0) > model.thresholds.p99Milliseconds ? .warn : .plain))
                lines.append(line)
            }
        }
        table("CALLED BY", inbound) { ServiceGraph.caller($0) }
        lines.append([])
        table("CALLS", outbound) { ServiceGraph.callee($0) }
        lines.append([])
        lines.append([Segment("RECENT REQUESTS TO IT", .heading)])
        guard let feed = model.requests else {
            lines.append([Segment("  no access logs: --logs FILE, - or k8s:NAMESPACE/SELECTOR", .dimmed)])
            return ("Node  " + ControlBytes.sanitize(node, limit: 200), lines)
        }
        let name = node.split(separator: "/").last.map(String.init) ?? node
        var shown = 0
        for block in feed.blocks where shown < 10 {
            for row in block.rows where shown < 10 {
                let names = [row.client?.upstreamCluster, row.client?.authority].compactMap { $0 }
                guard names.contains(where: { $0.contains(name) }) else { continue }
                lines.append([Segment("  ")] + RequestsPanel.line(row, width: width - 2))
                shown += 1
            }
        }
        if shown == 0 { lines.append([Segment("  none in the list", .dimmed)]) }
        lines.append([])
        lines.append([Segment("Esc back to the graph", .dimmed)])
        return ("Node  " + ControlBytes.sanitize(node, limit: 200), lines)
    }

    /// `L`: per hop, what the load sent, the metrics counted and the logs hold since the
    /// dashboard started, then each gap with its likely cause.
    private static func ledger(_ model: ScreenModel, width: Int) -> (String, [Line]) {
        let text = LedgerText(ledger: model.ledger)
        var lines: [Line] = []
        if text.ledger.rows.isEmpty {
            lines.append([Segment("nothing counted yet: the metrics' counters, --logs and --load fill it", .dimmed)])
        } else {
            let table = text.table
            lines.append([Segment(table[0], .title)])
            for row in table.dropFirst() { lines.append([Segment(row, row.hasSuffix(" ok") ? .plain : .warn)]) }
            lines.append([])
            for cause in text.causes { lines += wrap(cause, width: width).map { [Segment($0)] } }
        }
        if model.ledgerLines == nil { lines.append([Segment("no access logs: the log columns need --logs", .dimmed)]) }
        lines.append([])
        lines.append([Segment("metrics trail the logs by a scrape interval; lines come when a request ends; Esc back", .dimmed)])
        return (text.title, lines)
    }

    /// `H`: the requests in the Requests panel's list (its last 1,000 rows), their paired
    /// hops split as `logs --hops` splits them, one row a hop.
    private static func hops(_ model: ScreenModel, width: Int) -> (String, [Line]) {
        var table = HopTable()
        for block in model.requests?.blocks ?? [] {
            let pairs = block.rows.compactMap { row -> RequestPair? in
                guard case .pair(let pair) = row.content, pair.client.connection == nil else { return nil }
                return pair
            }
            if !pairs.isEmpty { table.add(HopTimes(pairs)) }
        }
        let title = "Hops  \(table.requests) requests in the list"
        guard model.requests != nil else { return (title, [[Segment("no access logs: --logs FILE, - or k8s:NAMESPACE/SELECTOR", .dimmed)]]) }
        let text = HopReport(table: table).textLines(width: width)
        var lines: [Line] = text.map { line in
            [Segment(line, line.hasPrefix("HOP ") ? .title : line.hasPrefix("(") ? .dimmed : .plain)]
        }
        lines.append([])
        lines.append([Segment("requests whose hops are still pairing count with the hops they have; Esc back", .dimmed)])
        return (title, lines)
    }

    /// Names take this many columns; a longer one (`upstream_transport_failure_reason`) is
    /// cut, and two spaces always stand between a name and its value.
    static let nameWidth = 26

    private static func field(_ name: String, _ value: String?) -> Line {
        [Segment(Format.fit(name, nameWidth) + "  ", .dimmed), Segment(value.flatMap { $0.isEmpty ? nil : $0 } ?? "-")]
    }

    private static func edge(_ key: EdgeKey, _ model: ScreenModel) -> (String, [Line]) {
        guard let edge = model.snapshot.edges.first(where: { $0.key == key }) else {
            return (TrafficPanel.name(key), [[Segment("this edge has left the window", .dimmed)]])
        }
        var lines: [Line] = [
            field("source workload", key.sourceWorkload), field("source namespace", key.sourceNamespace),
            field("destination workload", key.destinationWorkload), field("destination namespace", key.destinationNamespace),
            field("destination service", key.destinationService), field("requests per second", Format.rate(edge.rps)),
            field("success rate", Format.percent(edge.successRate)), field("p50", Format.milliseconds(edge.p50)),
            field("p90", Format.milliseconds(edge.p90)), field("p99", Format.milliseconds(edge.p99)),
            field("tcp sent bytes/s", edge.tcpSent.map(Format.rate)), field("tcp received bytes/s", edge.tcpReceived.map(Format.rate)),
            field("tcp opened conn/s", edge.tcpOpened.map(Format.rate)), field("tcp closed conn/s", edge.tcpClosed.map(Format.rate)),
            field("mutual TLS", edge.mutualTLS.map { Format.percent($0) + " of requests" }), field("reporter", edge.reporter),
        ]
        if !key.sourceCluster.isEmpty || !key.destinationCluster.isEmpty {
            lines.insert(contentsOf: [field("source cluster", key.sourceCluster), field("destination cluster", key.destinationCluster)], at: 5)
        }
        if !edge.grpcStatuses.isEmpty {
            lines.append(field("failed per second", Format.rate(edge.failed)))
            for (status, rate) in edge.grpcStatuses.sorted(by: { (Int($0.key) ?? 99) < (Int($1.key) ?? 99) }) {
                lines.append(field("grpc \(GRPCStatus.name(status)) /s", Format.rate(rate)))
            }
            lines.append(field("request messages/s", edge.requestMessages.map(Format.rate)))
            lines.append(field("response messages/s", edge.responseMessages.map(Format.rate)))
        }
        for (code, rate) in edge.codes.sorted(by: { $0.key < $1.key }) { lines.append(field("code \(code) /s", Format.rate(rate))) }
        for (flag, rate) in edge.flags.sorted(by: { $0.key < $1.key }) { lines.append(field("flags \(flag) /s", Format.rate(rate))) }
        return (TrafficPanel.name(key), lines)
    }

    private static func member(_ endpoint: String, _ model: ScreenModel) -> (String, [Line]) {
        guard let member = model.snapshot.etcd?.members.first(where: { $0.endpoint == endpoint }) else {
            return (endpoint, [[Segment("this member is gone", .dimmed)]])
        }
        let lines: [Line] = [
            field("name", member.name), field("id", member.id.map(EtcdID.text)), field("endpoint", member.endpoint),
            field("version", member.version), field("healthy", member.healthy.map { $0 ? "yes" : "no" }),
            field("leader", member.isLeader ? "yes" : "no"), field("cluster id", member.clusterID.map(EtcdID.text)),
            field("revision", member.revision.map(String.init)), field("raft term", member.raftTerm.map(String.init)),
            field("raft index", member.raftIndex.map(String.init)),
            field("raft applied index", member.raftAppliedIndex.map(String.init)), field("db size", Format.bytes(member.dbSize)),
            field("db size in use", member.dbSizeInUse.map { Format.bytes($0) }),
            field("latency", member.latency.map { Format.milliseconds($0) }), field("error", member.error),
        ]
        return (ScreenModel.memberName(member), lines)
    }

    /// The request's whole chain: every hop's two lines, field by field, and raw. The
    /// block held since Enter is shown, or its newer state while the feed still has it.
    private static func request(_ held: RequestBlock, _ model: ScreenModel, width: Int) -> (String, [Line]) {
        let block = held.requestID.flatMap { model.requests?.block(requestID: $0) } ?? held
        let isConnection = block.rows.first?.main?.connection != nil
        var lines: [Line] = [field(isConnection ? "addresses" : "x-request-id", block.requestID)]
        // A connection has no request id and no trace.
        if let tracing = model.tracing, !isConnection {
            let records = block.rows.flatMap { [$0.clientLine, $0.serverLine] }.compactMap { $0?.record }
            switch tracing.url(requestID: block.requestID, traceID: records.lazy.compactMap(TracingLink.traceID).first) {
            case .success(let url): lines.append(field("trace", url))
            case .failure(let missing): lines.append([Segment(Format.fit("trace", nameWidth) + "  ", .dimmed), Segment(missing.message, .dimmed)])
            }
        }
        let pairs = block.rows.filter { $0.kind == .pair }.count
        lines.append(
            field("hops", "\(block.rows.count) (\(pairs) paired)" + (block.complete ? "" : ", more may come")))
        if !isConnection { lines += waterfall(block, width: width) }
        for row in block.rows {
            lines.append([])
            let route = ConnectionText.route(row.main) + "  " + (row.main?.authority ?? "")
            lines.append([Segment("hop \(row.hop)  ", .heading), Segment(route, .heading)])
            if let overhead = row.overheadMilliseconds { lines.append(field("overhead", "\(overhead) ms")) }
            for (side, logged) in [("client", row.clientLine), ("server", row.serverLine)] {
                guard let logged else {
                    lines.append([Segment("no \(side) line", .dimmed)])
                    continue
                }
                let record = logged.record
                lines.append([Segment("\(side) side (\(record.origin ?? "?"))", .title)])
                if let connection = record.connection {
                    for (key, value) in connection.jsonMembers(origin: nil) where key != "source" && key != "kind" {
                        switch value {
                        case .null: continue
                        case .number(let number): lines.append(self.field(key, key == "duration" ? "\(number) ms" : String(number)))
                        case .string(let text): lines.append(self.field(key, text))
                        }
                    }
                }
                for field in AccessLogField.allCases where record.connection == nil {
                    if let value = record.number(for: field).map({ Self.withUnit($0, field) }) ?? record.text(for: field) {
                        lines.append(self.field(field.rawValue, value))
                    }
                }
                lines.append([Segment("raw line", .dimmed)])
                lines += wrap(ControlBytes.sanitize(logged.text), width: width).map { [Segment($0)] }
            }
        }
        let first = block.rows.first?.main
        return (ConnectionText.route(first), lines)
    }

    /// The paired hops on one time line, each bar from its client side's start to its end,
    /// and where its time went (`HopTimes`): the calling proxy, the network, the called proxy,
    /// the upstream (the app outside its calls, or the data store).
    static func waterfall(_ block: RequestBlock, width: Int) -> [Line] {
        let paired = block.rows.compactMap { row -> (hop: Int, pair: RequestPair)? in
            guard case .pair(let pair) = row.content else { return nil }
            return (row.hop, pair)
        }
        let times = HopTimes(paired.map(\.pair))
        let starts = paired.map { $0.pair.client.pairingTime }
        guard !paired.isEmpty, let total = times.total, let origin = starts.compactMap({ $0 }).min() else { return [] }
        let track = max(10, min(60, width - nameWidth - 2 - 56))
        var lines: [Line] = [[]]
        lines.append([
            Segment(Format.fit("time", nameWidth) + "  ", .dimmed), Segment("\(total) ms end to end, \(paired.count) paired hops", .heading),
        ])
        for ((hop, _), (times, start)) in zip(paired, zip(times.hops, starts)) {
            let offset = Double((start ?? origin) - origin) / Double(max(total, 1))
            let length = Double(times.total ?? 0) / Double(max(total, 1))
            let from = min(track - 1, Int((offset * Double(track)).rounded(.down)))
            let cells = max(1, min(track - from, Int((length * Double(track)).rounded())))
            let bar = String(repeating: " ", count: from) + String(repeating: "█", count: cells)
                + String(repeating: " ", count: track - from - cells)
            func part(_ name: String, _ value: Int?) -> String { "\(name) " + (value.map { "\($0)" } ?? "-") }
            let parts = [
                part("proxy", times.clientProxy), part("net", times.network), part("peer", times.serverProxy),
                part("upstream", times.upstream),
            ].joined(separator: " · ")
            lines.append([
                Segment(Format.fit(String(repeating: "  ", count: times.depth) + "hop \(hop)", nameWidth) + "  ", .dimmed),
                Segment(bar, .heading), Segment("  " + Format.milliseconds(times.total) + "  " + parts),
            ])
        }
        lines.append([
            Segment(Format.fit("", nameWidth) + "  ", .dimmed),
            Segment("ms · proxy: the caller's own · net: to the peer · peer: its own · upstream: behind the peer less the hops below", .dimmed),
        ])
        return lines
    }

    /// A number field with its unit: Envoy logs durations in milliseconds, sizes in bytes.
    static func withUnit(_ value: Int, _ field: AccessLogField) -> String {
        switch field.unit {
        case .milliseconds: "\(value) ms"
        case .bytes: "\(value) B"
        case nil: String(value)
        }
    }

    /// Cuts text into lines of at most `width` columns, never inside a glyph.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        var used = 0
        for character in text {
            let glyph = DisplayWidth.of(character)
            if used + glyph > width {
                lines.append(current)
                current = ""
                used = 0
            }
            current.append(character)
            used += glyph
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
