import Collectors
import Testing

@testable import MeshTop

/// The one key table drives the handling, the footer, the help and `--help`.
@Suite struct KeyBindingTests {
    /// A state where every key has something to act on: rows to scroll, a filter to clear.
    func busyState(detail: Bool) -> UIState {
        var state = UIState()
        state.rowCounts = [.traffic: 30, .etcd: 3, .requests: 30]
        state.pageRows = [.traffic: 5]
        state.selection[.traffic] = 10
        state.detailScroll = 10
        state.filters[.traffic] = try? TextFilter("x")
        if detail { state.detail = .member("m1") }
        return state
    }

    @Test(arguments: [false, true])
    func everyBindingDoesSomething(inDetail: Bool) {
        let table = inDetail ? KeyBinding.details : KeyBinding.panels
        for binding in table {
            for key in binding.keys {
                var state = busyState(detail: inDetail)
                let before = state
                let command = state.handle(key)
                #expect(command != nil || state != before, "\(key) (\(binding.label)) does nothing")
            }
        }
    }

    @Test(arguments: [0, 1, 2])
    func noKeyIsBoundTwice(table: Int) {
        let keys = [KeyBinding.panels, KeyBinding.details, KeyBinding.graph][table].flatMap(\.keys)
        for key in keys { #expect(keys.filter { $0 == key }.count == 1, "\(key) is bound twice") }
    }

    @Test func everyPanelActionHasAKey() {
        let bound = Set((KeyBinding.panels + KeyBinding.replay + KeyBinding.graph).map(\.action))
        for action in KeyBinding.Action.allCases where action != .back { #expect(bound.contains(action), "\(action) has no key") }
    }

    @Test func everyReplayBindingDoesSomethingAndComesFirst() {
        let keys = KeyBinding.replay.flatMap(\.keys)
        for key in keys { #expect(keys.filter { $0 == key }.count == 1, "\(key) is bound twice") }
        for binding in KeyBinding.replay {
            for key in binding.keys {
                var state = busyState(detail: false)
                state.replaying = true
                let before = state
                let command = state.handle(key)
                #expect(command != nil || state != before, "\(key) (\(binding.label)) does nothing in a replay")
            }
        }
        // `p` plays and pauses the replay there, instead of freezing the screen.
        var replaying = UIState()
        replaying.replaying = true
        #expect(replaying.handle(.character("p")) == .replay(.toggle) && !replaying.paused)
        var live = UIState()
        #expect(live.handle(.character("p")) == nil && live.paused)
        #expect(live.handle(.character("]")) == nil && live.prompt == nil)
        // `g` asks for a time; Enter hands the text over, Esc drops it.
        #expect(replaying.handle(.character("g")) == nil && replaying.prompt == "" && replaying.promptKind == .time)
        for character in "+1m30s" { _ = replaying.handle(.character(character)) }
        #expect(replaying.handle(.enter) == .replay(.goTo("+1m30s")) && replaying.prompt == nil)
        #expect(replaying.handle(.character("]")) == .replay(.jump(seconds: 60)))
        // The footer names the replay's keys, and its `p` once.
        let footer = Screen.render(ScreenFixture.model(), replaying, width: 240, height: 50).grid.lines.last ?? ""
        for (key, word) in KeyBinding.replay.compactMap(\.footer) { #expect(footer.contains(" \(key) \(word) ")) }
        #expect(!footer.contains(" p pause "))
        #expect(ReplayCommand.helpMessage().contains("0.5× to 16×"))
    }

    @Test func theFooterTheHelpAndTheCommandLineHelpComeFromTheTable() {
        let footer = Screen.render(ScreenFixture.model(), UIState(), width: 200, height: 50).grid.lines.last ?? ""
        for (key, word) in KeyBinding.panels.compactMap(\.footer) { #expect(footer.contains(" \(key) \(word) ")) }
        let help = KeyBinding.helpLines(KeyBinding.panels)
        // Bindings without words of their own join a line: Tab and Shift-Tab are one.
        #expect(help.contains { $0.keys == "Tab  Shift-Tab" })
        #expect(help.count == KeyBinding.panels.filter { $0.help != nil }.count)
        for line in help { #expect(KeyBinding.summary.contains(line.help)) }
        #expect(TopCommand.helpMessage().contains("errors only: 5xx"))
    }
}
