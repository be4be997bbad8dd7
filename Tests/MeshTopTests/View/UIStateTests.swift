import Collectors
import Testing

@testable import MeshTop

/// Keys change the UI state as the help says, without a terminal.
@Suite struct UIStateTests {
    @Test func tabCyclesFocusBothWays() {
        var state = UIState()
        #expect(state.focus == .traffic)
        _ = state.handle(.tab)
        #expect(state.focus == .etcd)
        _ = state.handle(.tab)
        _ = state.handle(.tab)
        #expect(state.focus == .traffic)
        _ = state.handle(.backTab)
        #expect(state.focus == .requests)
    }

    @Test func scrollingStopsAtTheEnds() {
        var state = UIState()
        state.rowCounts[.traffic] = 3
        state.pageRows[.traffic] = 2
        _ = state.handle(.up)
        #expect(state.selected(.traffic) == 0)
        _ = state.handle(.character("j"))
        _ = state.handle(.down)
        _ = state.handle(.down)
        #expect(state.selected(.traffic) == 2)
        _ = state.handle(.pageUp)
        #expect(state.selected(.traffic) == 0)
        _ = state.handle(.end)
        #expect(state.selected(.traffic) == 2)
        _ = state.handle(.home)
        #expect(state.selected(.traffic) == 0)
    }

    @Test func slashTypesAFilterEnterAppliesEscCancels() throws {
        var state = UIState()
        state.focus = .requests
        _ = state.handle(.character("/"))
        #expect(state.prompt == "")
        for character in "k3x" { _ = state.handle(.character(character)) }
        _ = state.handle(.backspace)
        // q while typing is text, not quit.
        #expect(state.handle(.character("q")) == nil)
        #expect(state.prompt == "k3q")
        _ = state.handle(.enter)
        #expect(state.prompt == nil)
        #expect(state.filters[.requests]?.text == "k3q")
        #expect(state.filters[.traffic] == nil)

        _ = state.handle(.character("/"))
        _ = state.handle(.character("z"))
        _ = state.handle(.escape)
        #expect(state.filters[.requests]?.text == "k3q")
        // Esc outside the prompt clears the focused panel's filter.
        _ = state.handle(.escape)
        #expect(state.filters[.requests] == nil)
    }

    @Test func aBadRegexIsReportedAndNotApplied() {
        var state = UIState()
        _ = state.handle(.character("/"))
        for character in "re:([" { _ = state.handle(.character(character)) }
        _ = state.handle(.enter)
        #expect(state.prompt == "re:([")
        #expect(state.promptError?.hasPrefix("not a regular expression") == true)
        #expect(state.filters[.traffic] == nil)
    }

    @Test func regexAndSubstringFilters() throws {
        #expect(try TextFilter("re:^GET /storage/k[0-9]$").matches("GET /storage/k3"))
        #expect(try !TextFilter("re:^GET /storage/k[0-9]$").matches("PUT /storage/k3"))
        #expect(try TextFilter("STORAGE").matches("GET /storage/k3"))
        #expect(try !TextFilter("etcd").matches("GET /storage/k3"))
    }

    @Test func sortReporterWindowPauseHelpAndQuit() {
        var state = UIState()
        #expect(state.sort == .rps && state.descending)
        _ = state.handle(.character("s"))
        #expect(state.sort == .success)
        _ = state.handle(.character("S"))
        #expect(!state.descending)
        #expect(state.handle(.character("r")) == .retune(window: "1m", reporter: .destination))
        #expect(state.handle(.character("r")) == .retune(window: "1m", reporter: .source))
        #expect(state.handle(.character("w")) == .retune(window: "5m", reporter: .source))
        _ = state.handle(.character("w"))
        #expect(state.handle(.character("w")) == .retune(window: "1m", reporter: .source))
        #expect(state.handle(.character("r")) == .retune(window: "1m", reporter: .waypoint))
        #expect(state.handle(.character("r")) == .retune(window: "1m", reporter: .auto))
        _ = state.handle(.character("p"))
        #expect(state.paused)
        _ = state.handle(.character("e"))
        #expect(state.errorsOnly)
        _ = state.handle(.character("?"))
        #expect(state.help)
        // Any key closes the help, and does nothing else.
        #expect(state.handle(.character("p")) == nil)
        #expect(!state.help && state.paused)
        #expect(state.handle(.enter) == .openDetail)
        #expect(state.handle(.character("q")) == .quit)
        #expect(state.handle(.interrupt) == .quit)
    }

    @Test func capitalPCyclesTheProfile() {
        var state = UIState()
        #expect(state.profile == .auto)
        #expect(state.handle(.character("P")) == .profile(.istio))
        #expect(state.handle(.character("P")) == .profile(.envoy))
        #expect(state.handle(.character("P")) == .profile(.auto))
        #expect(state.profile == .auto)
        // p still pauses; in the help P only closes it.
        _ = state.handle(.character("?"))
        #expect(state.handle(.character("P")) == nil)
        #expect(state.profile == .auto && !state.help)
        #expect(HelpOverlay.keys.contains { $0.0 == "P" })
    }

    @Test func detailScrollsAndEscGoesBack() {
        var state = UIState()
        state.detail = .member("http://a")
        _ = state.handle(.down)
        _ = state.handle(.pageDown)
        #expect(state.detailScroll == 11)
        _ = state.handle(.escape)
        #expect(state.detail == nil)
    }
}
