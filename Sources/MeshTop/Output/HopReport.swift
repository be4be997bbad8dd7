import Collectors
import Foundation

/// `meshtop logs --hops`: a `HopTable` as a text table, or one JSON object per hop.
struct HopReport {
    let table: HopTable

    /// `{hop, depth, requests, own_ms, client_proxy_ms, network_ms, server_proxy_ms,
    /// upstream_ms, share_of_p99}`, each `_ms` a `{p50, p90, p99, max}` or null.
    struct HopObject: Encodable {
        let row: HopTable.Row

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "hop": row.name, "depth": row.depth, "requests": row.requests, "own_ms": row.own,
                "client_proxy_ms": row.clientProxy, "network_ms": row.network, "server_proxy_ms": row.serverProxy,
                "upstream_ms": row.upstream, "share_of_p99": row.shareOfP99,
            ])
        }
    }

    func jsonLines() -> [String] {
        table.rows.compactMap { try? JSONLine.encode(HopObject(row: $0)) }
    }

    /// - Parameter width: the columns there are (the dashboard's view): names are cut to fit.
    func textLines(width: Int? = nil) -> [String] {
        let rows = table.rows
        var lines = [
            "requests    \(table.requests)" + (table.endToEnd.map { "  end to end " + Self.percentiles($0) } ?? "")
        ]
        if table.droppedHops > 0 { lines.append("            \(table.droppedHops) hops past the first \(HopTable.maxHops) not shown") }
        guard !rows.isEmpty else { return lines + ["no paired hops: per-hop time needs both lines of each hop"] }
        var names = rows.map { String(repeating: "  ", count: $0.depth) + ControlBytes.sanitize($0.name) }
        // The other columns take 83.
        if let width { names = names.map { Format.fit($0, max(12, width - 83)) } }
        let width = max(3, names.map(\.count).max() ?? 0)
        func cell(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        func pad(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        // Own time in full; the parts as p50/p99, enough to see which one moved.
        lines.append(
            pad("HOP") + cell("REQS", 8) + cell("OWN p50/p90/p99", 17) + cell("P99 SHARE", 10) + cell("CLIENT PROXY", 14)
                + cell("NETWORK", 10) + cell("SERVER PROXY", 14) + cell("UPSTREAM", 10))
        for (row, name) in zip(rows, names) {
            func pair(_ p: HopTable.Percentiles?) -> String { p.map { "\($0.p50)/\($0.p99)" } ?? "-" }
            let own = row.own.map { "\($0.p50)/\($0.p90)/\($0.p99) ms" } ?? "-"
            let share = row.shareOfP99.map { String(format: "%.0f %%", $0 * 100) } ?? "-"
            lines.append(
                pad(name) + cell(String(row.requests), 8) + cell(own, 17) + cell(share, 10) + cell(pair(row.clientProxy), 14)
                    + cell(pair(row.network), 10) + cell(pair(row.serverProxy), 14) + cell(pair(row.upstream), 10))
        }
        lines.append("(parts as p50/p99 ms; a hop's own time is its client side's duration less the hops nested in it)")
        if rows.contains(where: { $0.name.hasPrefix(LedgerLines.loadHop("")) }) {
            lines.append("(the load's hop: its client proxy is the load's queue, from when a request was due to when it was sent)")
        }
        return lines
    }

    private static func percentiles(_ p: HopTable.Percentiles) -> String {
        "p50 \(p.p50) ms  p90 \(p.p90) ms  p99 \(p.p99) ms  max \(p.max) ms"
    }
}
