import Collectors
import Foundation

/// The telemetry ledger as a table of cells and the causes under it: one wording for
/// `snapshot`'s text and the dashboard's `L` view. Every cell is sanitised here.
struct LedgerText {
    let ledger: TelemetryLedger

    static let header = ["HOP", "SENT", "METRICS", "CLIENT", "SERVER", "PAIRED", "GAP"]

    var rows: [[String]] {
        ledger.rows.map { row in
            func count(_ value: Int?) -> String { value.map(String.init) ?? "-" }
            let metrics = row.metrics.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: " ")
            let gap = row.gaps.first.map { "\($0.kind.rawValue) \($0.count)" + (row.gaps.count > 1 ? " +\(row.gaps.count - 1)" : "") }
            let cells = [
                row.hop, count(row.sent), metrics.isEmpty ? "-" : metrics, count(row.clientLines), count(row.serverLines),
                count(row.paired), gap ?? "ok",
            ]
            return cells.map { ControlBytes.sanitize($0, limit: 200) }
        }
    }

    /// The header and the rows, each column as wide as its widest cell.
    var table: [String] {
        let rows = self.rows
        var widths = Self.header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return ([Self.header] + rows).map { row in
            zip(row, widths).enumerated().map { index, pair in
                index == row.count - 1 ? pair.0 : pair.0 + String(repeating: " ", count: max(0, pair.1 - pair.0.count))
            }.joined(separator: "  ")
        }
    }

    /// One line a gap: the hop, how many of how many, and the likely cause.
    var causes: [String] {
        ledger.rows.flatMap { row in
            row.gaps.map { gap in
                ControlBytes.sanitize("\(row.hop): \(gap.kind.rawValue) \(gap.count) of \(gap.of) — \(gap.cause)", limit: 1_000)
            }
        }
    }

    /// "since 10:31:02, balanced" or "since 10:31:02, 2 gaps".
    var title: String {
        let since = ledger.since.map { " since \(Self.clock.string(from: $0))" } ?? ""
        let gaps = ledger.gapCount
        let state = ledger.rows.isEmpty ? "nothing counted yet" : gaps == 0 ? "balanced" : "\(gaps) gap\(gaps == 1 ? "" : "s")"
        return "TELEMETRY LEDGER\(since): \(state)"
            + (ledger.counterResets > 0 ? ", \(ledger.counterResets) counters reset" : "")
            + (ledger.overflow > 0 ? ", \(ledger.overflow) lines past the row limit" : "")
    }

    private static let clock: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter
    }()
}
