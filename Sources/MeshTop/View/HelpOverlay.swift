/// `?`: every key, in a box over the screen.
enum HelpOverlay {
    static let keys: [(String, String)] = [
        ("q  Ctrl-C", "quit"),
        ("Tab  Shift-Tab", "move focus between panels"),
        ("↑ ↓  j k", "move the selection"),
        ("PgUp PgDn  Home End", "scroll a page, go to the top or the end"),
        ("Enter", "details of the selected row; Esc back"),
        ("/", "filter the focused panel (substring; re: for a regex)"),
        ("Esc", "clear the focused panel's filter and errors-only"),
        ("e", "errors only: 5xx, or flags other than -"),
        ("r", "reporter: destination or source"),
        ("P", "metrics profile: istio, envoy, auto"),
        ("s  S", "cycle the sort column, reverse it"),
        ("w", "window of the rates: 1m, 5m, 15m"),
        ("p", "pause the screen (polling goes on)"),
        ("?", "this help; any key closes it"),
    ]

    static func draw(into grid: inout Grid) {
        let keyWidth = 21
        let textWidth = keys.map { DisplayWidth.of($0.1) }.max() ?? 0
        let width = min(grid.width - 2, keyWidth + textWidth + 4)
        let height = min(grid.height - 2, keys.count + 4)
        guard width > 10, height > 3 else { return }
        let x = (grid.width - width) / 2
        let y = (grid.height - height) / 2
        Frame.box(into: &grid, x: x, y: y, width: width, height: height, title: [Segment("Keys", .heading)], style: .focusedFrame)
        for (index, (key, text)) in keys.prefix(height - 4).enumerated() {
            grid.draw([Segment(Format.fit(key, keyWidth), .title), Segment(text)], x: x + 2, y: y + 2 + index, limit: width - 4)
        }
    }
}
