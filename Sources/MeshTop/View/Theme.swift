/// The dashboard's few looks. Each pairs a colour with an attribute, so the meaning
/// survives `--no-color`: warnings are bold, failures bold and underlined, stale data dim.
extension Style {
    static let title = Style(bold: true)
    static let good = Style(color: .green)
    static let warn = Style(color: .yellow, bold: true)
    static let bad = Style(color: .red, bold: true, underline: true)
    static let dimmed = Style(color: .gray, dim: true)
    static let heading = Style(color: .cyan, bold: true)
    static let frame = Style(color: .blue)
    static let focusedFrame = Style(color: .cyan, bold: true)
    static let selected = Style(reverse: true)
    static let bar = Style(reverse: true)

    /// The same look, dimmed: last good data while its source fails.
    var faded: Style {
        var style = self
        style.dim = true
        if color != .red { style.color = .gray }
        return style
    }
}
