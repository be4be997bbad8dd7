import Collectors
import Testing

@testable import MeshTop

/// The Traffic panel with a thousand edges: what is hidden is counted, pages move, the
/// filter and the namespace scope narrow it.
@Suite struct TrafficScaleTests {
    static let model = RenderBenchmark.richModel(edges: 1_000, requests: 0)

    func trafficTitle(_ state: UIState) -> (title: String, rendered: Screen.Rendered) {
        let rendered = Screen.render(Self.model, state, width: 160, height: 50)
        return (rendered.grid.lines.first { $0.contains("Traffic") } ?? "", rendered)
    }

    /// The keys as the dashboard gives them: with the row and page counts of the frame before.
    func press(_ key: Key, _ state: inout UIState) {
        let frame = Screen.render(Self.model, state, width: 160, height: 50)
        state.rowCounts = frame.rowCounts
        state.pageRows = frame.pageRows
        _ = state.handle(key)
    }

    @Test func theTitleCountsTheHiddenRows() throws {
        let (title, rendered) = trafficTitle(UIState())
        let page = try #require(rendered.pageRows[.traffic])
        #expect(rendered.rowCounts[.traffic] == 1_000)
        #expect(page > 5 && page < 1_000)
        #expect(title.contains("rows 1–\(page) of 1000"))
    }

    @Test func aFewEdgesAreNotCounted() {
        let title = Screen.render(ScreenFixture.model(), UIState(), width: 160, height: 50).grid.lines.first { $0.contains("Traffic") } ?? ""
        #expect(!title.contains("rows"))
    }

    @Test func pagesMoveTheSelectionAndTheCountFollows() throws {
        var state = UIState()
        let page = try #require(trafficTitle(state).rendered.pageRows[.traffic])
        press(.pageDown, &state)
        press(.pageDown, &state)
        #expect(state.selected(.traffic) == 2 * page)
        // The selection is the last row shown.
        #expect(trafficTitle(state).title.contains("rows \(page + 2)–\(2 * page + 1) of 1000"))
        press(.pageUp, &state)
        #expect(state.selected(.traffic) == page)
        press(.end, &state)
        #expect(state.selected(.traffic) == 999)
        #expect(trafficTitle(state).title.contains("rows \(1_001 - page)–1000 of 1000"))
        press(.home, &state)
        #expect(trafficTitle(state).title.contains("rows 1–\(page) of 1000"))
    }

    @Test func theFilterNarrowsAThousandEdges() throws {
        var state = UIState()
        for key in [Key.character("/")] + "workload-99".map(Key.character) + [.enter] { press(key, &state) }
        let content = TrafficPanel.content(Self.model, state, width: 156)
        // workload-99 and workload-990 to -999.
        #expect(content.lineCount == 11)
        let (title, rendered) = trafficTitle(state)
        #expect(title.contains("filter workload-99"))
        #expect(!title.contains("rows"))
        #expect(rendered.rowCounts[.traffic] == 11)
    }

    @Test func theScopeKeepsEdgesFromOrToTheNamespace() {
        var state = UIState()
        state.scope = "ns-3"
        let edges = Self.model.snapshot.edges
        let expected = edges.filter { $0.key.sourceNamespace == "ns-3" || $0.key.destinationNamespace == "ns-3" }
        let content = TrafficPanel.content(Self.model, state, width: 156)
        #expect(content.lineCount == expected.count)
        #expect(expected.count > 100 && expected.count < 1_000)
        let keys = Set(expected.map(\.key))
        #expect(content.items.allSatisfy { item in if case .edge(let key) = item { keys.contains(key) } else { false } })
        #expect(trafficTitle(state).title.contains("ns ns-3"))
        #expect(trafficTitle(state).title.contains("of \(expected.count)"))
        state.scope = "nowhere"
        #expect(TrafficPanel.content(Self.model, state, width: 156).empty?.first?.text == "no edge from or to namespace nowhere")
    }

    @Test func nCyclesThroughTheNamespacesThenAll() {
        var state = UIState()
        state.namespaces = TrafficPanel.namespaces(Self.model.snapshot.edges)
        #expect(state.namespaces == (0..<7).map { "ns-\($0)" })
        state.selection[.traffic] = 40
        var seen: [String?] = []
        for _ in 0..<8 {
            _ = state.handle(.character("N"))
            seen.append(state.scope)
        }
        #expect(seen == (0..<7).map { "ns-\($0)" } + [nil])
        #expect(state.selected(.traffic) == 0)
    }

    /// An explicit `-n` before its namespace has traffic keeps its place in the order.
    @Test func aScopeWithoutEdgesKeepsItsPlace() {
        #expect(UIState.nextScope(after: "ns-35", in: ["ns-3", "ns-4"]) == "ns-4")
        #expect(UIState.nextScope(after: "zz", in: ["ns-3", "ns-4"]) == nil)
        #expect(UIState.nextScope(after: nil, in: []) == nil)
    }
}
