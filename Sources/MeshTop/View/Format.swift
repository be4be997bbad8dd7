import Collectors
import Foundation

/// How numbers read on screen: short, fixed, and the same in every panel. A value that
/// is missing shows as `-`; one that is there but not finite (Prometheus's `NaN`, `+Inf`)
/// as `–`.
enum Format {
    static let notFinite = "–"

    /// 0.4 ms, 3 ms, 21 ms, 1.2 s.
    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        guard value.isFinite else { return notFinite }
        if value >= 1_000 { return decimal(value / 1_000, places: 1) + " s" }
        if value < 10, value != value.rounded() { return decimal(value, places: 1) + " ms" }
        return "\(Int(value.rounded())) ms"
    }

    static func milliseconds(_ value: Int?) -> String { value.map { "\($0) ms" } ?? "-" }

    static func milliseconds(_ value: Duration?) -> String {
        milliseconds(value?.inMilliseconds)
    }

    /// 41.2, 0.05, 1.2k.
    static func rate(_ value: Double) -> String {
        guard value.isFinite else { return notFinite }
        if value >= 10_000 { return decimal(value / 1_000, places: 1) + "k" }
        if value > 0, value < 0.1 { return decimal(value, places: 2) }
        return decimal(value, places: 1)
    }

    /// 99.8 %; 100.0 % only when nothing failed.
    static func percent(_ share: Double?) -> String {
        guard let share else { return "-" }
        guard share.isFinite else { return notFinite }
        let value = share * 100
        // Never round a failure up to a perfect score.
        if share < 1, value >= 99.95 { return "99.9 %" }
        return decimal(value, places: 1) + " %"
    }

    /// A number with a fixed count of decimals, rounded half away from zero, without
    /// Foundation's formatter (a frame prints hundreds of these).
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return notFinite }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        var fraction = String(scaled % Int64(scale))
        while fraction.count < places { fraction = "0" + fraction }
        let sign = value < 0 && scaled != 0 ? "-" : ""
        return places == 0 ? sign + String(whole) : sign + String(whole) + "." + fraction
    }

    /// 20 KiB, 1.5 MiB.
    static func bytes(_ value: UInt64?) -> String {
        guard let value else { return "-" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1_024, unit < units.count - 1 {
            amount /= 1_024
            unit += 1
        }
        return unit == 0 || amount >= 10 ? "\(Int(amount.rounded())) \(units[unit])" : String(format: "%.1f %@", amount, units[unit])
    }

    /// 1,204.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// 4 s, 3 min, 2 h: how long ago a source last answered.
    static func age(_ seconds: TimeInterval) -> String {
        let whole = max(0, Int(seconds.rounded()))
        if whole < 120 { return "\(whole) s" }
        if whole < 7_200 { return "\(whole / 60) min" }
        return "\(whole / 3_600) h"
    }

    /// 11:45:02 in the local time zone.
    static func clock(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    /// 1s, 500ms, 2m: an interval as the user typed it.
    static func interval(_ value: Duration) -> String {
        let milliseconds = value.wholeMilliseconds
        if milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1_000 == 0 { return "\(milliseconds / 1_000)s" }
        return "\(milliseconds)ms"
    }

    /// An access-log START_TIME shown as 16:28:24.640 (the date is the same all session);
    /// `meshtop logs` and the Requests panel both show it so.
    static func logTime(_ start: String?) -> String {
        guard let start, start.count >= 23 else { return start ?? "-" }
        return String(start.dropFirst(11).prefix(12))
    }

    /// Text padded or cut to exactly `width` columns, aligned left or right.
    static func fit(_ text: String, _ width: Int, right: Bool = false) -> String {
        var columns = DisplayWidth.of(text)
        var text = text
        if columns != text.utf8.count {
            // Not plain ASCII: measured after sanitising, as it will be drawn.
            text = ControlBytes.sanitize(text)
            columns = DisplayWidth.of(text)
        }
        if columns > width {
            var kept = ""
            var used = 0
            for character in text {
                let glyph = DisplayWidth.of(character)
                if used + glyph > width - 1 { break }
                kept.append(character)
                used += glyph
            }
            return kept + "…" + String(repeating: " ", count: max(0, width - 1 - used))
        }
        let padding = String(repeating: " ", count: width - columns)
        return right ? padding + text : text + padding
    }
}
