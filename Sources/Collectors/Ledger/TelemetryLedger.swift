import Foundation

/// Whether the load, the metrics and the logs count the same requests: per hop, side by
/// side, and each disagreement with its likely cause.
///
/// The inputs are counted over the same stretch of time, from one mark on: the load's own
/// count, the metrics' counters (`RequestCounts`, per reporter or Envoy's cluster stats) and
/// the access-log lines (`LedgerLines`, client and server side, and the hops paired by
/// x-request-id). A pure value: the dashboard, `snapshot` and `health` build it the same way.
public struct TelemetryLedger: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// The service called (the client side's cluster host), or `load → AUTHORITY`.
        public var hop: String
        /// The load's own count of the requests it sent, on the load's row.
        public var sent: Int?
        public var metrics: [RequestCounts.Counter: Int]
        /// Log lines; nil when no log is read. The load's row pairs nothing: its other side is
        /// the first proxy's client-side line, which pairs on the next hop.
        public var clientLines: Int?
        public var serverLines: Int?
        public var paired: Int?
        public var gaps: [Gap]
    }

    public struct Gap: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case serverLinesMissing = "server_lines_missing"
            case clientLinesMissing = "client_lines_missing"
            case fewerServerLines = "fewer_server_lines"
            case fewerClientLines = "fewer_client_lines"
            case unpaired
            case metricsFewer = "metrics_fewer"
            case logsFewer = "logs_fewer"
            case notSeenByProxy = "not_seen_by_proxy"
            case unattributed
        }

        public var kind: Kind
        /// How many requests the two sides disagree by.
        public var count: Int
        /// Of how many (the larger side), for the share the health check weighs.
        public var of: Int
        public var cause: String

        public var share: Double { of == 0 ? 0 : Double(count) / Double(of) }
    }

    public var rows: [Row]
    public var since: Date?
    /// Counters that went down during the window (a restarted proxy): their hops count from zero.
    public var counterResets: Int
    /// Lines not counted because the ledger's rows were full.
    public var overflow: Int

    /// - Parameters:
    ///   - sent: the load's count of requests sent since the mark, when a load runs.
    ///   - loadAuthority: where the load sends (host:port), to put `sent` on its row.
    public init(lines: LedgerLines?, counts: RequestCounts?, sent: Int? = nil, loadAuthority: String? = nil) {
        since = counts?.since
        counterResets = counts?.resets ?? 0
        overflow = lines?.overflow ?? 0
        var hops = Set(lines?.rows.keys.map { $0 } ?? [])
        hops.formUnion(counts?.hops ?? [])
        let loadHop = loadAuthority.map(LedgerLines.loadHop)
        if let loadHop, sent != nil { hops.insert(loadHop) }
        rows = hops.sorted().map { hop in
            let logged = lines?.rows[hop]
            var row = Row(
                hop: hop, sent: hop == loadHop && sent != nil ? sent : logged?.isLoad == true ? logged?.client : nil, metrics: [:],
                // The dashboard's load counts its requests itself; its lines are not tailed.
                clientLines: lines == nil || (hop == loadHop && sent != nil && (logged?.client ?? 0) == 0) ? nil : logged?.client ?? 0,
                serverLines: lines == nil ? nil : logged?.server ?? 0,
                // The load's hop pairs only where the load's own lines are among the inputs.
                paired: lines == nil || (hop == loadHop && logged?.isLoad != true) ? nil : logged?.paired ?? 0, gaps: [])
            for counter in RequestCounts.Counter.allCases {
                if let count = counts?[hop, counter] { row.metrics[counter] = count }
            }
            row.gaps = Self.gaps(row, logged: logged)
            return row
        }
        // The load's row first, then by the hop's name: the order a request travels is not
        // known here, and a stable order keeps the view from jumping.
        let loads = rows.filter { $0.hop == loadHop || lines?.rows[$0.hop]?.isLoad == true }
        rows = loads + rows.filter { row in !loads.contains { $0.hop == row.hop } }
    }

    /// The largest disagreement of any hop, as a share of its larger side, and its hop.
    public var worst: (hop: String, gap: Gap)? {
        rows.flatMap { row in row.gaps.map { (hop: row.hop, gap: $0) } }.max { $0.gap.share < $1.gap.share }
    }

    public var worstGap: Gap? { worst?.gap }

    /// Every gap of every hop.
    public var gapCount: Int { rows.reduce(0) { $0 + $1.gaps.count } }

    /// Every input agrees to the request.
    public var balanced: Bool { rows.allSatisfy(\.gaps.isEmpty) }

    // MARK: the causes

    static func gaps(_ row: Row, logged: LedgerLines.Row?) -> [Gap] {
        var gaps: [Gap] = []
        func add(_ kind: Gap.Kind, _ a: Int, _ b: Int, _ cause: String) {
            if a != b { gaps.append(Gap(kind: kind, count: abs(a - b), of: max(a, b), cause: cause)) }
        }
        /// A whole side missing: every request of it is the gap.
        func missing(_ kind: Gap.Kind, _ count: Int, _ what: String, proxy: String) {
            gaps.append(
                Gap(
                    kind: kind, count: count, of: count,
                    cause: "\(what): the \(proxy) proxy's access log is off or filtered (a Telemetry filter, or access "
                        + "logging off for that workload), or its log is not among the sources"))
        }
        let clientSources = logged.map { Self.list($0.clientSources) } ?? "the caller's log"
        let serverSources = logged.map { Self.list($0.serverSources) } ?? "the callee's log"
        if logged?.unattributed == true, let server = row.serverLines {
            missing(
                .unattributed, server, "server-side lines (in \(serverSources)) whose hop no client-side line names",
                proxy: "calling")
            return gaps
        }
        if let sent = row.sent, let server = row.serverLines {
            add(
                .notSeenByProxy, sent, server,
                "the load sent \(sent), the first proxy's log has \(server): "
                    + (server < sent
                        ? "refused connections or time-outs before the proxy answered, its log is off, sampled or not among the sources, or lines not flushed yet"
                        : "other clients send to the same address"))
        }
        var sideMissing = false
        if let client = row.clientLines, let server = row.serverLines, row.sent == nil {
            let counted = row.metrics.values.max() ?? 0
            sideMissing = (client == 0) != (server == 0) || (client == 0 && counted > 0)
            if client == 0, server == 0, counted > 0 {
                let counters = row.metrics.keys.sorted().map(\.rawValue).joined(separator: ", ")
                missing(
                    .clientLinesMissing, counted, "the metrics (\(counters)) count \(counted) requests and no log has a line of them",
                    proxy: "calling")
            } else if client > 0, server == 0 {
                missing(
                    .serverLinesMissing, client, "no server-side lines for the \(client) requests \(clientSources) logged",
                    proxy: "called")
            } else if server > 0, client == 0 {
                missing(
                    .clientLinesMissing, server, "no client-side lines for the \(server) requests \(serverSources) logged",
                    proxy: "calling")
            } else if server < client {
                add(
                    .fewerServerLines, client, server,
                    "\(client - server) fewer server-side lines than client-side: logs sampled or filtered on the called side, "
                        + "requests still in flight, or lines not flushed yet (Envoy writes its log every second)")
            } else if client < server {
                add(
                    .fewerClientLines, client, server,
                    "\(server - client) fewer client-side lines than server-side: logs sampled or filtered on the calling side, "
                        + "retries the caller logged once, or lines not flushed yet")
            }
            if let paired = row.paired, client > 0, server > 0, paired < min(client, server) {
                add(
                    .unpaired, min(client, server), paired,
                    "\(min(client, server) - paired) lines without their other side by x-request-id: the id not passed on "
                        + "by the app, lines sampled on one side only, or still in the pairing window")
            }
        }
        // The metrics against the lines of the same side, the counter that counts most.
        let denied = logged?.denied ?? 0
        let deniedWords = denied > 0 ? "; \(denied) of the lines are denials (RBAC, ext-authz), which metrics may not count" : ""
        for (counter, lines) in [(true, row.clientLines), (false, row.serverLines)] {
            // A side with no line at all has its gap above; its metrics say nothing more.
            guard let lines, row.sent == nil || !counter, !(sideMissing && lines == 0) else { continue }
            let counted = row.metrics.filter { $0.key.isClientSide == counter }.map(\.value).max()
            guard let counted else { continue }
            let side = counter ? "client-side" : "server-side"
            if counted < lines {
                add(
                    .metricsFewer, lines, counted,
                    "the metrics count \(lines - counted) fewer than the \(side) lines: requests since the last scrape "
                        + "(Prometheus's scrape interval), a scrape gap or a target down\(deniedWords)")
            } else if counted > lines {
                add(
                    .logsFewer, counted, lines,
                    "the \(side) lines are \(counted - lines) fewer than the metrics count: access logs sampled or filtered "
                        + "(a Telemetry filter), a log source that dropped lines (a reconnect, a rotation), or lines not flushed yet")
            }
        }
        return gaps
    }

    private static func list(_ sources: [String]) -> String {
        sources.isEmpty ? "no log" : sources.joined(separator: ", ")
    }
}
