import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The service graph's layout and drawing, from graphs built here: structure checked by
/// assertions, the pictures by golden files in Fixtures/golden/graph-*.txt.
/// Re-record on purpose only: MESHTOP_RECORD_GOLDEN=1 swift test --filter GraphLayoutTests.
@Suite struct GraphLayoutTests {
    static func graph(_ pairs: [(String, String)], rps: Double = 10) -> ServiceGraph {
        ServiceGraph(nodes: [], edges: pairs.map { .init(from: $0.0, to: $0.1, rps: rps, failed: 0, p99: 12, mutualTLS: nil) })
    }

    func expectGolden(_ picture: GraphPicture, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try ScreenTests.expectGolden(lines: picture.lines, "graph-\(name).txt", sourceLocation: sourceLocation)
    }

    /// No two boxes overlap, and each route's points turn at right angles.
    func expectSound(_ layout: GraphLayout, sourceLocation: SourceLocation = #_sourceLocation) {
        for (a, first) in layout.boxes.enumerated() {
            for second in layout.boxes.dropFirst(a + 1) {
                let apart = first.x + first.width <= second.x || second.x + second.width <= first.x
                    || first.y + first.height <= second.y || second.y + second.height <= first.y
                #expect(apart, "\(first.node) overlaps \(second.node)", sourceLocation: sourceLocation)
            }
        }
        for route in layout.routes {
            for (a, b) in zip(route.points, route.points.dropFirst()) {
                #expect(a.x == b.x || a.y == b.y, "a slanted segment \(a) → \(b)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func aChainRunsLeftToRightOnOneRow() throws {
        let layout = GraphLayout(Self.graph([("load", "istio-system/gateway"), ("istio-system/gateway", "default/storage"), ("default/storage", "default/etcd")]))
        expectSound(layout)
        let order = layout.boxes.sorted { $0.x < $1.x }.map(\.node)
        #expect(order == ["load", "istio-system/gateway", "default/storage", "default/etcd"])
        #expect(Set(layout.boxes.map(\.y)).count == 1)
        #expect(layout.routes.allSatisfy { $0.points.count == 2 && !$0.backwards })
        try expectGolden(GraphPicture(layout), "chain")
    }

    @Test func aFanOutGivesEachCalleeItsOwnExitAndLabel() throws {
        let layout = GraphLayout(Self.graph([("gw", "a"), ("gw", "b"), ("gw", "c")]))
        expectSound(layout)
        let gateway = try #require(layout.box("gw"))
        #expect(gateway.height == 5)
        #expect(Set(layout.routes.map(\.labelAt.y)).count == 3)
        #expect(layout.boxes.filter { $0.node != "gw" }.allSatisfy { $0.x > gateway.x + gateway.width })
        try expectGolden(GraphPicture(layout), "fan-out")
    }

    @Test func aFanInMeetsAtTheCallee() throws {
        let layout = GraphLayout(Self.graph([("a", "db"), ("b", "db"), ("c", "db")]))
        expectSound(layout)
        let database = try #require(layout.box("db"))
        #expect(layout.routes.allSatisfy { $0.points.last == GraphLayout.Point(x: database.x, y: database.y + 1) })
        try expectGolden(GraphPicture(layout), "fan-in")
    }

    @Test func aDiamondHasNoCrossings() throws {
        let layout = GraphLayout(Self.graph([("gw", "b"), ("gw", "a"), ("a", "db"), ("b", "db"), ("gw", "db")]))
        expectSound(layout)
        // gw → db spans two layers: it passes the middle layer in a slot of its own.
        let skip = try #require(layout.routes.first { layout.graph.edges[$0.edge].to == "db" && layout.graph.edges[$0.edge].from == "gw" })
        #expect(skip.points.count >= 4)
        try expectGolden(GraphPicture(layout), "diamond")
    }

    @Test func aCycleIsDrawnOnceWithOneEdgeBackwardsAndSelfCallsAsAMark() throws {
        let layout = GraphLayout(Self.graph([("a", "b"), ("b", "c"), ("c", "a"), ("b", "b")]))
        expectSound(layout)
        #expect(layout.routes.count == 3)
        #expect(layout.routes.filter(\.backwards).count == 1)
        #expect(layout.box("b")?.selfRate == 10)
        let picture = GraphPicture(layout)
        #expect(picture.lines.joined().contains("↻ 10.0/s"))
        #expect(picture.lines.joined().contains("◀"))
        try expectGolden(picture, "cycle")
    }

    @Test func fiftyNodesLayOutSoundlyAndTheSameEachTime() throws {
        var pairs: [(String, String)] = []
        for service in 0..<10 {
            pairs.append(("istio-system/gateway", "shop/frontend-\(service)"))
            for backend in 0..<3 { pairs.append(("shop/frontend-\(service)", "shop/backend-\((service + backend) % 13)")) }
        }
        for backend in 0..<13 { pairs.append(("shop/backend-\(backend)", "data/store-\(backend % 5)")) }
        for store in 0..<5 { pairs.append(("data/store-\(store)", "data/disk-\(store % 21)")) }
        let graph = Self.graph(pairs)
        let layout = GraphLayout(graph)
        #expect(layout.boxes.count == graph.nodes.count)
        expectSound(layout)
        #expect(GraphLayout(graph) == layout)
        try expectGolden(GraphPicture(layout), "fifty")
    }

    @Test func crossingReductionUntanglesABadlyNamedGraph() {
        // By name, a1 → z and b1 → y cross; the sweeps swap them.
        let layout = GraphLayout(Self.graph([("a1", "z"), ("b1", "y"), ("a1", "z2"), ("b1", "y2")]))
        let y = { (node: String) in layout.box(node)!.y }
        #expect((y("a1") < y("b1")) == (y("z") < y("y")))
    }

    @Test func aKnownNodeKeepsItsPlaceWhenAnotherAppears() {
        let before = GraphLayout(Self.graph([("gw", "a"), ("gw", "b"), ("a", "db")]))
        let after = GraphLayout(Self.graph([("gw", "a"), ("gw", "b"), ("a", "db"), ("gw", "c"), ("aa", "b")]), previous: before.placement)
        for node in ["gw", "a", "b", "db"] {
            #expect(after.placement.order[node] == before.placement.order[node], "\(node)")
        }
        let ranks = ["a", "b"].map { after.box($0)!.y }
        #expect(ranks[0] < ranks[1])
    }

    @Test func aNodeKeepsItsCellWhileItExists() {
        func cells(_ layout: GraphLayout) -> [String: GraphLayout.Point] {
            Dictionary(uniqueKeysWithValues: layout.boxes.map { ($0.node, GraphLayout.Point(x: $0.x, y: $0.y)) })
        }
        func graph(_ pairs: [(String, String)], rps: Double = 10, selfRate: Double = 9, failing: Bool = false) -> ServiceGraph {
            ServiceGraph(
                nodes: [],
                edges: (pairs + [("c", "c")]).map {
                    let bad = failing && $0 == ("gw", "b")
                    return .init(from: $0.0, to: $0.1, rps: $0.0 == $0.1 ? selfRate : rps, failed: bad ? rps / 5 : 0, p99: 12, mutualTLS: nil)
                })
        }
        let pairs = [("gw", "a"), ("gw", "b"), ("gw", "c"), ("a", "db"), ("b", "db"), ("c", "cache")]
        let first = GraphLayout(graph(pairs))
        // Every rate grows to five digits, the self-call's in c's box too: nothing moves.
        let busier = GraphLayout(graph(pairs, rps: 12_345, selfRate: 12_345), previous: first.placement)
        #expect(cells(busier) == cells(first))
        // An edge going bad widens its gap once for the error share; healed, nothing moves back.
        let failing = GraphLayout(graph(pairs, failing: true), previous: busier.placement)
        #expect(failing.boxes.allSatisfy { $0.y == first.box($0.node)!.y && $0.x >= first.box($0.node)!.x })
        let healed = GraphLayout(graph(pairs), previous: failing.placement)
        #expect(cells(healed) == cells(failing))
        // Healed for longer than the gap's memory, it narrows back to the first picture's width.
        var later = healed
        for _ in 0...GraphLayout.labelZoneMemory { later = GraphLayout(graph(pairs), previous: later.placement) }
        #expect(cells(later) == cells(first), "\(cells(later)) \(cells(first))")
        // a goes away and gw's box shrinks by a line: the others stay where they were.
        let rest = pairs.filter { $0.0 != "a" && $0.1 != "a" }
        let without = GraphLayout(graph(rest), previous: healed.placement)
        #expect(cells(without) == cells(healed).filter { $0.key != "a" }, "\(cells(without)) \(cells(healed))")
        // b gains a call, one line more: c below it moves down by at most that line, and
        // stays there when the call ends again.
        let grown = GraphLayout(graph(rest + [("b", "cache")]), previous: without.placement)
        let growth = grown.box("b")!.height - without.box("b")!.height
        #expect(growth == 1)
        let moved = grown.box("c")!.y - without.box("c")!.y
        #expect(moved >= 0 && moved <= growth, "\(moved)")
        #expect(grown.box("gw")!.y == without.box("gw")!.y && grown.box("b")!.y == without.box("b")!.y)
        let back = GraphLayout(graph(rest), previous: grown.placement)
        #expect(back.box("c")!.y == grown.box("c")!.y)
        expectSound(back)
    }

    @Test func pastTheThresholdsAnEdgeIsColouredAndSaysWhy() {
        var thresholds = HealthThresholds()
        thresholds.p99Milliseconds = 500
        let failing = ServiceGraph.Edge(from: "a", to: "b", rps: 100, failed: 5, p99: 900, mutualTLS: 1)
        let label = GraphLayout.label(failing, thresholds).map(\.text).joined()
        #expect(label == "100.0/s 5.0% err p99 900 ms mTLS")
        #expect(GraphLayout.severity(failing, thresholds) == .bad)
        let slow = ServiceGraph.Edge(from: "a", to: "b", rps: 100, failed: 0, p99: 900, mutualTLS: nil)
        #expect(GraphLayout.severity(slow, thresholds) == .warn)
        #expect(GraphLayout.label(slow, thresholds).map(\.text).joined() == "100.0/s p99 900 ms")
        let fine = ServiceGraph.Edge(from: "a", to: "b", rps: 100, failed: 0.1, p99: 20, mutualTLS: 0)
        #expect(GraphLayout.severity(fine, thresholds) == .plain)
        #expect(GraphLayout.label(fine, thresholds).map(\.text).joined() == "100.0/s plain")
    }

    @Test func theMeshsEdgesBecomeNodesByWorkloadOrNamespace() {
        func stats(_ from: String, _ ns: String, _ to: String, _ toNs: String, rps: Double, failed: Double = 0) -> EdgeStats {
            var stats = EdgeStats(
                key: EdgeKey(sourceWorkload: from, sourceNamespace: ns, destinationWorkload: to, destinationNamespace: toNs, destinationService: "\(to).\(toNs).svc"))
            stats.rps = rps
            stats.failed = failed
            return stats
        }
        let edges = [
            stats("gw", "istio-system", "web", "shop", rps: 10), stats("web", "shop", "api", "shop", rps: 8, failed: 1),
            stats("api", "shop", "db", "data", rps: 5), stats("web", "shop", "unknown", "unknown", rps: 2),
        ]
        let graph = ServiceGraph(edges: edges)
        #expect(graph.nodes == ["data/db", "istio-system/gw", "shop/api", "shop/web", "unknown.unknown.svc"])
        let collapsed = ServiceGraph(edges: edges, collapsed: true)
        #expect(collapsed.nodes == ["data", "istio-system", "shop", "unknown.unknown.svc"])
        #expect(collapsed.members["shop"] == 2)
        #expect(collapsed.edges.first { $0.from == "shop" && $0.to == "shop" }?.rps == 8)
        #expect(graph.scoped(to: "data").edges.map(\.from) == ["shop/api"])
        #expect(graph.filtered { $0.contains("api") }.nodes == ["data/db", "shop/api", "shop/web"])
    }

    @Test func hostileNamesAreTextInTheBox() {
        let layout = GraphLayout(Self.graph([("ns/\u{1b}[2Jevil\u{202e}", "b")]))
        let text = GraphPicture(layout).lines.joined(separator: "\n")
        #expect(text.contains("\\x1b[2Jevil\\u202e"))
        #expect(!text.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e })
    }
}
