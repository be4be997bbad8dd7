/// `?`: every key, in a box over the screen.
enum HelpOverlay {
    /// The help's lines, from the one key table.
    static var keys: [(keys: String, help: String)] { KeyBinding.helpLines(KeyBinding.panels) }

    /// In a replay its keys come first, and the panels' `p` (the replay's now) is left out.
    static func keys(replaying: Bool) -> [(keys: String, help: String)] {
        guard replaying else { return keys }
        return KeyBinding.helpLines(KeyBinding.replay)
            + KeyBinding.helpLines(KeyBinding.panels.filter { KeyBinding.find($0.keys[0], in: KeyBinding.replay) == nil })
    }

    static func draw(into grid: inout Grid, replaying: Bool = false) {
        draw(keys(replaying: replaying), into: &grid)
    }

    /// The keys of one view's table (the graph's).
    static func draw(into grid: inout Grid, table: [KeyBinding]) {
        draw(KeyBinding.helpLines(table), into: &grid)
    }

    private static func draw(_ keys: [(keys: String, help: String)], into grid: inout Grid) {
        let keyWidth = (keys.map { DisplayWidth.of($0.keys) }.max() ?? 0) + 2
        let textWidth = keys.map { DisplayWidth.of($0.help) }.max() ?? 0
        let width = min(grid.width - 2, keyWidth + textWidth + 4)
        let height = min(grid.height - 2, keys.count + 3)
        guard width > 10, height > 3 else { return }
        let x = (grid.width - width) / 2
        let y = (grid.height - height) / 2
        Frame.box(into: &grid, x: x, y: y, width: width, height: height, title: [Segment("Keys", .heading)], style: .focusedFrame)
        for (index, (key, text)) in keys.prefix(height - 3).enumerated() {
            grid.draw([Segment(Format.fit(key, keyWidth), .title), Segment(text)], x: x + 2, y: y + 1 + index, limit: width - 4)
        }
    }
}
