/// A trend in eight levels (▁▂▃▄▅▆▇█), scaled to its own maximum, newest on the right.
enum Sparkline {
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The last `width` values; a missing value is a space, an all-zero series a flat line.
    static func render(_ values: [Double?], width: Int) -> String {
        guard width > 0 else { return "" }
        let shown = Array(values.suffix(width))
        let top = shown.compactMap { $0 }.filter(\.isFinite).max() ?? 0
        var text = String(repeating: " ", count: width - shown.count)
        for value in shown {
            guard let value, value.isFinite else {
                text.append(" ")
                continue
            }
            let level = top > 0 ? Int((max(0, value) / top * Double(levels.count - 1)).rounded()) : 0
            text.append(levels[min(levels.count - 1, level)])
        }
        return text
    }
}
