import Collectors
import Foundation

/// `meshtop health` as `linkerd check` prints it: a heading per area, one line per check,
/// ✓ ‼ × (or [ok] [warn] [FAIL] when the locale is not UTF-8), the reason after.
struct HealthText {
    let unicode: Bool

    static func localeIsUTF8(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        let locale = environment["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["LC_CTYPE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["LANG"] ?? ""
        let lowered = locale.lowercased()
        return lowered.contains("utf-8") || lowered.contains("utf8")
    }

    func mark(_ status: HealthCheck.Status) -> String {
        switch status {
        case .ok: unicode ? "✓" : "[ok]"
        case .warn: unicode ? "‼" : "[warn]"
        case .fail: unicode ? "×" : "[FAIL]"
        case .skipped: unicode ? "–" : "[skip]"
        }
    }

    static func area(of check: HealthCheck) -> String {
        if check.name.hasPrefix("prometheus") || check.name.hasPrefix("scrape") { return "prometheus" }
        if check.name.hasPrefix("mesh") { return "mesh traffic" }
        if check.name.hasPrefix("etcd") { return "etcd" }
        if check.name.hasPrefix("storage") { return "storage service" }
        if check.name.hasPrefix("telemetry") { return "telemetry" }
        return "kubernetes"
    }

    func lines(_ checks: [HealthCheck]) -> [String] {
        var lines: [String] = []
        var current: String?
        for check in checks {
            let area = Self.area(of: check)
            if area != current {
                if current != nil { lines.append("") }
                lines += [area, String(repeating: "-", count: area.count)]
                current = area
            }
            let latency = SnapshotReport.milliseconds(check.latency).map { " (\(Self.number($0)) ms)" } ?? ""
            lines.append("\(mark(check.status)) \(check.name): \(ControlBytes.sanitize(check.message))\(latency)")
        }
        let failed = checks.filter { $0.status == .fail }.count
        let warned = checks.filter { $0.status == .warn }.count
        lines.append("")
        lines.append(
            failed == 0
                ? "Status check results are \(mark(.ok))" + (warned > 0 ? " (\(warned) warning\(warned == 1 ? "" : "s"))" : "")
                : "Status check results are \(mark(.fail)) (\(failed) failed)")
        return lines
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
