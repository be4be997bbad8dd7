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

    @Test(arguments: [false, true])
    func noKeyIsBoundTwice(inDetail: Bool) {
        let keys = (inDetail ? KeyBinding.details : KeyBinding.panels).flatMap(\.keys)
        for key in keys { #expect(keys.filter { $0 == key }.count == 1, "\(key) is bound twice") }
    }

    @Test func everyPanelActionHasAKey() {
        let bound = Set(KeyBinding.panels.map(\.action))
        for action in KeyBinding.Action.allCases where action != .back { #expect(bound.contains(action), "\(action) has no key") }
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
