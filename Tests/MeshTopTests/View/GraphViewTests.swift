import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The graph view inside the dashboard: its keys, a graph wider than the screen, panning,
/// and a node's details. Golden files in Fixtures/golden/graph-*.txt.
@Suite struct GraphViewTests {
    /// A frame with the graph view open on `edges`, the cache and state carried over as the
    /// dashboard carries them.
    static func frame(_ model: inout ScreenModel, _ state: inout UIState, cache: inout GraphCache, width: Int = 80, height: Int = 24) -> Screen.Rendered {
        model.graph = cache.update(model.snapshot, view: state.graph, thresholds: model.thresholds, load: model.load, loadAuthority: model.loadAuthority)
        state.graph.autoCollapsed = cache.autoCollapsed
        let rendered = Screen.render(model, state, width: width, height: height)
        if let graph = rendered.graph { state.graph.took(graph) }
        return rendered
    }

    static func stats(_ from: String, _ to: String, rps: Double, failed: Double = 0, p99: Double = 20) -> EdgeStats {
        func split(_ name: String) -> (String, String) {
            let parts = name.split(separator: "/").map(String.init)
            return (parts[0], parts[1])
        }
        let (fromSpace, fromName) = split(from)
        let (toSpace, toName) = split(to)
        var stats = EdgeStats(
            key: EdgeKey(
                sourceWorkload: fromName, sourceNamespace: fromSpace, destinationWorkload: toName, destinationNamespace: toSpace,
                destinationService: "\(toName).\(toSpace).svc.cluster.local"))
        stats.rps = rps
        stats.failed = failed
        stats.successRate = rps > 0 ? 1 - failed / rps : nil
        stats.p50 = 3
        stats.p99 = p99
        return stats
    }

    /// A chain of seven services: wider than 80 columns.
    static func wideModel() -> ScreenModel {
        var model = ScreenFixture.model()
        let names = ["istio-system/istio-ingressgateway", "shop/frontend", "shop/cart", "shop/checkout", "shop/payments", "bank/ledger", "data/postgres"]
        model.snapshot.edges = zip(names, names.dropFirst()).enumerated().map { index, pair in
            stats(pair.0, pair.1, rps: 40 - Double(index), failed: index == 3 ? (40 - Double(index)) * 0.1 : 0, p99: index == 4 ? 900 : 20)
        }
        return model
    }

    @Test func gOpensTheGraphAndEscClosesIt() {
        var state = UIState()
        _ = state.handle(.character("g"))
        #expect(state.detail == .graph)
        _ = state.handle(.escape)
        #expect(state.detail == nil)
        // In a replay, g goes to a time; G is the graph.
        state.replaying = true
        _ = state.handle(.character("g"))
        #expect(state.detail == nil && state.prompt != nil)
        _ = state.handle(.escape)
        _ = state.handle(.character("G"))
        #expect(state.detail == .graph)
    }

    @Test func aGraphWiderThanTheScreenPansAndFollowsTheSelection() throws {
        var model = Self.wideModel()
        var state = UIState()
        var cache = GraphCache()
        _ = state.handle(.character("g"))
        let first = Self.frame(&model, &state, cache: &cache)
        try ScreenTests().expectGolden(first.grid, "graph-wide-80x24.txt")
        #expect(state.graph.selected == "istio-system/istio-ingressgateway")
        #expect(state.graph.extentWidth > 78)
        #expect(first.grid.lines.contains { $0.hasSuffix("▶") })
        // → six times: the selection walks the chain to the end and the view follows it.
        for _ in 0..<6 {
            _ = state.handle(.right)
            _ = Self.frame(&model, &state, cache: &cache)
        }
        #expect(state.graph.selected == "data/postgres")
        let end = Self.frame(&model, &state, cache: &cache)
        let box = try #require(state.graph.boxes.first { $0.node == "data/postgres" })
        #expect(state.graph.origin.x > 0 && box.x + box.width <= state.graph.origin.x + state.graph.viewWidth)
        #expect(end.grid.lines.joined().contains("data/postgres"))
        // h pans back left by ten columns.
        let before = state.graph.origin.x
        _ = state.handle(.character("h"))
        #expect(state.graph.origin.x == max(0, before - 10))
        // The failing and the slow edge say so.
        let whole = try #require(model.graph).lines.joined(separator: "\n")
        #expect(whole.contains("10.0% err") && whole.contains("p99 900 ms"))
    }

    @Test func enterOpensTheNodeWithItsEdgesAndEscGoesBackToTheGraph() throws {
        var model = Self.wideModel()
        var state = UIState()
        var cache = GraphCache()
        _ = state.handle(.character("g"))
        _ = Self.frame(&model, &state, cache: &cache)
        _ = state.handle(.right)
        _ = Self.frame(&model, &state, cache: &cache)
        #expect(state.graph.selected == "shop/frontend")
        _ = state.handle(.enter)
        #expect(state.detail == .node("shop/frontend"))
        let detail = Screen.render(model, state, width: 100, height: 30).grid.lines.joined(separator: "\n")
        #expect(detail.contains("CALLED BY") && detail.contains("istio-system/istio-ingressgateway"))
        #expect(detail.contains("CALLS") && detail.contains("shop/cart"))
        _ = state.handle(.escape)
        #expect(state.detail == .graph)
    }

    @Test func aFilterANamespaceAndCollapsingChangeWhatIsDrawn() throws {
        var model = Self.wideModel()
        var state = UIState()
        var cache = GraphCache()
        _ = state.handle(.character("g"))
        _ = Self.frame(&model, &state, cache: &cache)
        _ = state.handle(.character("/"))
        for character in "pay" { _ = state.handle(.character(character)) }
        _ = state.handle(.enter)
        _ = Self.frame(&model, &state, cache: &cache)
        #expect(model.graph?.layout.graph.nodes == ["bank/ledger", "shop/checkout", "shop/payments"])
        _ = state.handle(.escape)  // clears the filter first
        #expect(state.detail == .graph && state.graph.filter == nil)
        _ = state.handle(.character("c"))
        _ = Self.frame(&model, &state, cache: &cache)
        #expect(model.graph?.layout.graph.nodes == ["bank", "data", "istio-system", "shop"])
        #expect(model.graph?.layout.box("shop")?.members == 4)
        _ = state.handle(.character("c"))
        state.graph.namespaces = TrafficPanel.namespaces(model.snapshot.edges)
        _ = state.handle(.character("n"))
        _ = Self.frame(&model, &state, cache: &cache)
        #expect(state.graph.scope == "bank")
        #expect(model.graph?.layout.graph.nodes == ["bank/ledger", "data/postgres", "shop/payments"])
    }

    @Test func aNodeKeepsItsPlaceAcrossPolls() throws {
        var model = Self.wideModel()
        var state = UIState()
        var cache = GraphCache()
        _ = state.handle(.character("g"))
        _ = Self.frame(&model, &state, cache: &cache)
        let before = try #require(model.graph).layout.boxes
        // The next poll: new figures, one new caller of the cart.
        model.snapshot.time = model.snapshot.time.addingTimeInterval(1)
        model.snapshot.edges = model.snapshot.edges.map { edge in
            var edge = edge
            edge.rps += 1
            return edge
        } + [Self.stats("shop/recommender", "shop/cart", rps: 2)]
        _ = Self.frame(&model, &state, cache: &cache)
        let after = try #require(model.graph).layout.boxes
        for box in before {
            let now = try #require(after.first { $0.node == box.node })
            #expect(now.layer == box.layer, "\(box.node)")
        }
        let order = { (boxes: [GraphLayout.Box]) in boxes.sorted { ($0.layer, $0.y) < ($1.layer, $1.y) }.map(\.node).filter { $0 != "shop/recommender" } }
        #expect(order(after) == order(before))
    }

    @Test func theDashboardsLoadIsTheMeshsFirstCaller() throws {
        var model = Self.wideModel()
        model.load = LoadStatus(target: "http://gw/storage/k", targetRate: 40, achievedRate: 40, requests: 400, errors: 40, p50: 3, p99: 12, elapsed: 10)
        var state = UIState()
        var cache = GraphCache()
        _ = state.handle(.character("g"))
        _ = Self.frame(&model, &state, cache: &cache, width: 240, height: 30)
        let graph = try #require(model.graph).layout.graph
        let load = try #require(graph.edges.first { $0.from == ServiceGraph.loadNode })
        #expect(load.to == "istio-system/istio-ingressgateway" && load.rps == 40 && load.errorShare == 0.1)
        #expect(state.graph.selected == ServiceGraph.loadNode)
        #expect(try #require(model.graph).lines[1].hasPrefix("│ load ├─40.0/s 10.0% err"))
    }

    @Test func theDefaultCollapsesAMeshPastFortyWorkloads() {
        var model = ScreenFixture.model()
        model.snapshot.edges = (0..<45).map { Self.stats("istio-system/gateway", "team\($0 % 5)/svc-\($0)", rps: 1) }
        var state = UIState()
        var cache = GraphCache()
        _ = state.handle(.character("g"))
        let frame = Self.frame(&model, &state, cache: &cache)
        #expect(model.graph?.layout.graph.nodes.count == 6)
        #expect(frame.grid.lines[1].contains("namespaces collapsed"))
        _ = state.handle(.character("c"))
        _ = Self.frame(&model, &state, cache: &cache)
        #expect(model.graph?.layout.graph.nodes.count == 46)
    }
}
