import Testing

@testable import MeshTop

/// Golden grids: what a view draws, compared with literal lines.
@Suite struct GridTests {
    @Test func textIsClippedAndWideGlyphsAreNeverSplit() {
        var grid = Grid(width: 10, height: 4)
        #expect(grid.put("storage-service", x: 0, y: 0) == 10)
        #expect(grid.put("中文值", x: 0, y: 1) == 6)
        // A wide glyph that would cross the edge becomes a space.
        #expect(grid.put("ab中文", x: 5, y: 2) == 5)
        grid.put("🚀ok", x: 0, y: 3, limit: 3)
        #expect(grid.lines == [
            "storage-se",
            "中文值    ",
            "     ab中 ",
            "🚀o       ",
        ])
        #expect(grid[1, 1].width == 0 && grid[0, 1].width == 2)
    }

    @Test func outsideBytesAreShownNotObeyed() {
        var grid = Grid(width: 16, height: 1)
        grid.put("a\u{1b}[2Jb\u{7}", x: 0, y: 0)
        #expect(grid.lines == [#"a\x1b[2Jb\x07   "#])
    }

    @Test func overwritingHalfAWideGlyphLeavesNoOrphan() {
        var grid = Grid(width: 6, height: 1)
        grid.put("中文", x: 0, y: 0)
        grid.put("x", x: 1, y: 0)
        #expect(grid.lines == [" x文  "])
        grid.put("y", x: 2, y: 0)
        #expect(grid.lines == [" xy   "])
    }

    @Test func widths() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("中文") == 4)
        #expect(DisplayWidth.of("🚀") == 2)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("한국어") == 6)
    }

    @Test func sparklines() {
        #expect(Sparkline.render([0, 1, 2, 3, 4, 5, 6, 7], width: 8) == "▁▂▃▄▅▆▇█")
        #expect(Sparkline.render([1, 1, 1], width: 5) == "  ███")
        #expect(Sparkline.render([0, 0, nil, 0], width: 4) == "▁▁ ▁")
        #expect(Sparkline.render(Array(repeating: 2, count: 50) + [4], width: 3) == "▅▅█")
        #expect(Sparkline.render([.nan, 2], width: 2) == " █")
    }
}
