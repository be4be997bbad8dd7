import Collectors

/// Where each node of a `ServiceGraph` goes and how each edge runs: a layered drawing, callers
/// left of callees, computed the way Graphviz's `dot` does it in four steps:
///
/// 1. **cycles** are broken by reversing the edges a depth-first walk finds going back (drawn
///    with the arrow at their left end); self-calls are a mark on the node, not an edge;
/// 2. **layers**: each node one column right of its furthest caller (the longest path), so the
///    ingress gateway comes first and the data stores last; an edge over several layers gets a
///    pass-through slot in each layer between;
/// 3. **order** within a layer: barycentre sweeps down and up, keeping the order with the
///    fewest crossings. Given the previous placement, known nodes keep their order and new
///    ones go where their neighbours pull them, so a poll that adds an edge does not reshuffle
///    the picture;
/// 4. **coordinates**: columns as wide as their widest box, gaps as wide as their labels and
///    vertical channels; each box as low as needed to meet its callers' lines straight. Given
///    the previous placement, a known node keeps its row, and widths only grow, so a node
///    moves only when a box above it grows past the room it had.
///
/// Pure and deterministic: the same graph (and placement) always gives the same layout.
struct GraphLayout: Equatable, Sendable {
    struct Point: Hashable, Sendable {
        var x: Int
        var y: Int
    }

    struct Box: Equatable, Sendable {
        var node: String
        var layer: Int
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        /// The name as drawn: sanitised, cut to `maxName` columns.
        var title: String
        /// Its calls to itself, per second.
        var selfRate: Double?
        /// Collapsed namespaces: the workloads in it.
        var members: Int?
    }

    struct Route: Equatable, Sendable {
        /// The edge's index in `ServiceGraph.edges`.
        var edge: Int
        /// An orthogonal line through these points, from the left end to the right end.
        var points: [Point]
        var label: Line
        var labelAt: Point
        var arrowAt: Point
        /// The edge runs right to left (a cycle's edge, reversed for the layers).
        var backwards: Bool
        var severity: Severity
    }

    enum Severity: Int, Comparable, Sendable {
        case plain, warn, bad
        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// What a next layout keeps: each node's order, its row in its layer, and the widths so far.
    struct Placement: Equatable, Sendable {
        var order: [String: Double] = [:]
        struct Row: Equatable, Sendable {
            var layer: Int
            var y: Int
        }
        /// Each node's layer and top row: in the same layer it keeps that row unless the boxes
        /// above it now need more room, so a box shrinking or a node above going away moves nothing.
        var rows: [String: Row] = [:]
        /// Each gap's label width so far: a label that grows (an error share appearing) widens
        /// its gap once, and the columns do not move back and forth with every poll.
        var labelZones: [Int] = []
        /// For each gap, how many layouts in a row its labels needed less than it kept: past
        /// `labelZoneMemory` it narrows to what they need, so a start-up burst of errors does
        /// not leave the picture wide (and its right end off screen) for the whole session.
        var labelZoneSlack: [Int] = []
        /// Each column's width and each gap's vertical channels so far, for the same reason.
        var columnWidths: [Int] = []
        var channelCounts: [Int] = []

        /// Each width at least what it was: a column that exists now and did before.
        static func widened(_ widths: [Int], _ kept: [Int]?) -> [Int] {
            guard let kept else { return widths }
            return widths.indices.map { $0 < kept.count ? max(widths[$0], kept[$0]) : widths[$0] }
        }
    }

    static let maxName = 32
    /// Layouts (about one a poll) a gap keeps room its labels no longer need.
    static let labelZoneMemory = 30
    /// Nodes past this many are left out (and counted); a bigger mesh is drawn collapsed.
    static let maxNodes = 400

    let graph: ServiceGraph
    private(set) var boxes: [Box] = []
    private(set) var routes: [Route] = []
    private(set) var width = 0
    private(set) var height = 0
    private(set) var placement = Placement()
    private(set) var droppedNodes = 0

    func box(_ node: String) -> Box? { boxes.first { $0.node == node } }

    // MARK: building

    /// One slot of a layer: a node, or an edge passing through.
    private enum Item: Hashable {
        case node(Int)
        case pass(chain: Int, step: Int)

        var nodeIndex: Int? {
            if case .node(let index) = self { return index }
            return nil
        }

        /// Ties in rank: nodes by index, passes after them by chain.
        var tieBreak: Int {
            switch self {
            case .node(let index): index
            case .pass(let chain, _): 1_000_000 + chain
            }
        }
    }

    /// One DAG edge as a chain of items, one a layer.
    private struct Chain {
        var edge: Int
        var items: [(layer: Int, index: Int)] = []
        var backwards: Bool
    }

    init(_ graph: ServiceGraph, previous: Placement? = nil, thresholds: HealthThresholds = HealthThresholds()) {
        self.graph = graph
        let names = Array(graph.nodes.prefix(Self.maxNodes))
        droppedNodes = graph.nodes.count - names.count
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        var selfRate: [Int: Double] = [:]
        var dagEdges: [(from: Int, to: Int, edge: Int, backwards: Bool)] = []
        let back = Self.backEdges(graph, index: index)
        for (number, edge) in graph.edges.enumerated() {
            guard let from = index[edge.from], let to = index[edge.to] else { continue }
            if from == to {
                selfRate[from, default: 0] += edge.rps
            } else if back.contains(number) {
                dagEdges.append((to, from, number, true))
            } else {
                dagEdges.append((from, to, number, false))
            }
        }
        let layerOf = Self.layers(count: names.count, dagEdges.map { ($0.from, $0.to) })
        let layerCount = (layerOf.max() ?? -1) + 1

        // Layers of items; an edge over k layers passes through k - 1 slots.
        var layers: [[Item]] = Array(repeating: [], count: max(layerCount, 0))
        for node in names.indices { layers[layerOf[node]].append(.node(node)) }
        var chains: [Chain] = []
        for (number, dag) in dagEdges.enumerated() {
            var chain = Chain(edge: dag.edge, backwards: dag.backwards)
            chain.items.append((layerOf[dag.from], layers[layerOf[dag.from]].firstIndex(of: .node(dag.from))!))
            for layer in (layerOf[dag.from] + 1)..<layerOf[dag.to] {
                layers[layer].append(.pass(chain: number, step: layer))
                chain.items.append((layer, layers[layer].count - 1))
            }
            chain.items.append((layerOf[dag.to], layers[layerOf[dag.to]].firstIndex(of: .node(dag.to))!))
            chains.append(chain)
        }

        // Each chain's items, taken before the layers are sorted (a chain keeps indices).
        let chainItems = chains.map { chain in chain.items.map { layers[$0.layer][$0.index] } }

        // Order: each item's rank in its layer.
        var rank = Self.order(layers: layers, chainItems: chainItems, names: names, previous: previous)
        for layer in layers.indices {
            layers[layer].sort { rank[$0]! < rank[$1]! }
            for (position, item) in layers[layer].enumerated() { rank[item] = Double(position) }
        }
        placement.order = Dictionary(uniqueKeysWithValues: names.indices.map { (names[$0], rank[.node($0)] ?? 0) })

        // Segments between adjacent layers: (from item, to item, chain).
        var outgoing: [Item: [(to: Item, chain: Int)]] = [:]
        var incoming: [Item: [(from: Item, chain: Int)]] = [:]
        for (number, items) in chainItems.enumerated() {
            for (from, to) in zip(items, items.dropFirst()) {
                outgoing[from, default: []].append((to, number))
                incoming[to, default: []].append((from, number))
            }
        }
        for key in outgoing.keys { outgoing[key]!.sort { rank[$0.to]! < rank[$1.to]! || (rank[$0.to]! == rank[$1.to]! && $0.chain < $1.chain) } }

        // Labels and boxes.
        let labels = graph.edges.map { Self.label($0, thresholds) }
        let severities = graph.edges.map { Self.severity($0, thresholds) }
        var boxOf: [Int: Box] = [:]
        for node in names.indices {
            let clean = ControlBytes.sanitize(names[node], limit: 200)
            let title = Format.fit(clean, min(Self.maxName, DisplayWidth.of(clean)))
            let members = graph.members[names[node]]
            var inner = DisplayWidth.of(title)
            if selfRate[node] != nil { inner = max(inner, DisplayWidth.of("↻ ") + Self.rateColumns) }
            if let members { inner = max(inner, DisplayWidth.of("\(members) workloads")) }
            let lines = 1 + (selfRate[node] != nil ? 1 : 0) + (members != nil ? 1 : 0)
            let exits = outgoing[.node(node)]?.count ?? 0
            boxOf[node] = Box(
                node: names[node], layer: layerOf[node], x: 0, y: 0, width: inner + 4, height: 2 + max(lines, exits),
                title: title, selfRate: selfRate[node], members: members)
        }

        // Columns and gaps.
        var columnWidth = Array(repeating: 1, count: layers.count)
        for (layer, items) in layers.enumerated() {
            for case .node(let node) in items { columnWidth[layer] = max(columnWidth[layer], boxOf[node]!.width) }
        }
        columnWidth = Placement.widened(columnWidth, previous?.columnWidths)
        placement.columnWidths = columnWidth
        var labelZone = Array(repeating: 3, count: layers.count)
        var channels: [[Item]] = Array(repeating: [], count: layers.count)
        for (layer, items) in layers.enumerated() {
            for item in items {
                for out in outgoing[item] ?? [] {
                    if case .node = item { labelZone[layer] = max(labelZone[layer], Self.reservedColumns(labels[chains[out.chain].edge]) + 4) }
                    if !channels[layer].contains(out.to) { channels[layer].append(out.to) }
                }
            }
        }
        let needed = labelZone
        labelZone = Placement.widened(labelZone, previous?.labelZones)
        placement.labelZoneSlack = labelZone.indices.map { layer in
            labelZone[layer] > needed[layer] ? (previous?.labelZoneSlack.dropFirst(layer).first ?? 0) + 1 : 0
        }
        for layer in labelZone.indices where placement.labelZoneSlack[layer] > Self.labelZoneMemory {
            labelZone[layer] = needed[layer]
            placement.labelZoneSlack[layer] = 0
        }
        placement.labelZones = labelZone
        let channelRoom = Placement.widened(channels.map(\.count), previous?.channelCounts)
        placement.channelCounts = channelRoom
        var columnX = Array(repeating: 0, count: layers.count)
        for layer in layers.indices.dropFirst() {
            columnX[layer] = columnX[layer - 1] + columnWidth[layer - 1] + labelZone[layer - 1] + channelRoom[layer - 1] + 2
        }

        // Rows, layer by layer: each item as high as its slot allows, as low as its callers' lines.
        var exitRow: [Item: [Int: Int]] = [:]  // item → chain → row
        var entryRow: [Item: Int] = [:]
        // The rows the previous layer's lines leave on, and where each goes: an item's entry
        // row never takes another item's exit row, so no two lines run along one row.
        var exitsBefore: [Int: Item] = [:]
        for (layer, items) in layers.enumerated() {
            var cursor = 0
            var exits: [Int: Item] = [:]
            for item in items {
                let itemHeight = item.nodeIndex.map { boxOf[$0]!.height } ?? 1
                let middle = itemHeight / 2
                var top = cursor
                if let node = item.nodeIndex, let kept = previous?.rows[names[node]], kept.layer == layer {
                    top = max(cursor, kept.y)
                } else if let callers = incoming[item], !callers.isEmpty {
                    let rows = callers.compactMap { exitRow[$0.from]?[$0.chain] }
                    if !rows.isEmpty { top = max(cursor, rows.reduce(0, +) / rows.count - middle) }
                }
                while let bound = exitsBefore[top + middle], bound != item { top += 1 }
                entryRow[item] = top + middle
                let outs = outgoing[item] ?? []
                var rows: [Int: Int] = [:]
                for (position, out) in outs.enumerated() {
                    rows[out.chain] = outs.count == 1 ? top + middle : top + 1 + position
                    exits[rows[out.chain]!] = out.to
                }
                exitRow[item] = rows
                if let node = item.nodeIndex {
                    boxOf[node]!.x = columnX[layer]
                    boxOf[node]!.y = top
                    placement.rows[names[node]] = Placement.Row(layer: layer, y: top)
                }
                cursor = top + itemHeight + 1
                height = max(height, cursor - 1)
            }
            exitsBefore = exits
        }
        // Channels in a gap: lines going down nest with the lowest target leftmost, lines going
        // up with the highest leftmost, so a line leaving a box crosses no other line of the
        // same fan (Graphviz's staircase).
        for layer in channels.indices {
            func key(_ target: Item) -> (Int, Int, Double) {
                let entry = entryRow[target] ?? 0
                let exits = (incoming[target] ?? []).compactMap { exitRow[$0.from]?[$0.chain] }
                let mean = exits.isEmpty ? entry : exits.reduce(0, +) / exits.count
                return entry >= mean ? (0, -entry, rank[target] ?? 0) : (1, entry, rank[target] ?? 0)
            }
            channels[layer].sort { key($0) < key($1) }
        }

        // Routes.
        for (number, chain) in chains.enumerated() {
            let dag = dagEdges[number]
            let items = chainItems[number]
            let source = boxOf[dag.from]!
            let exit = exitRow[items[0]]?[number] ?? (source.y + source.height / 2)
            var points = [Point(x: source.x + source.width - 1, y: exit)]
            for (step, (from, to)) in zip(items, items.dropFirst()).enumerated() {
                let layer = chain.items[step].layer
                let fromRow = step == 0 ? exit : entryRow[from]!
                let channelX = columnX[layer] + columnWidth[layer] + labelZone[layer] + (channels[layer].firstIndex(of: to) ?? 0)
                let toRow = entryRow[to]!
                points.append(Point(x: channelX, y: fromRow))
                points.append(Point(x: channelX, y: toRow))
                if let node = to.nodeIndex {
                    points.append(Point(x: boxOf[node]!.x, y: toRow))
                } else {
                    let next = chain.items[step + 1].layer
                    points.append(Point(x: columnX[next] + columnWidth[next] - 1, y: toRow))
                }
            }
            let target = boxOf[dag.to]!
            let end = points.last!
            let start = points[0]
            routes.append(
                Route(
                    edge: chain.edge, points: Self.simplified(points), label: labels[chain.edge],
                    labelAt: Point(x: start.x + (chain.backwards ? 3 : 2), y: start.y),
                    arrowAt: chain.backwards ? Point(x: start.x + 1, y: start.y) : Point(x: target.x - 1, y: end.y),
                    backwards: chain.backwards, severity: severities[chain.edge]))
        }
        boxes = names.indices.map { boxOf[$0]! }
        width = (0..<layers.count).map { columnX[$0] + columnWidth[$0] }.max() ?? 0
    }

    // MARK: the steps

    /// The edges a depth-first walk from the callers finds going back to a node still on its
    /// path: reversing them leaves no cycle.
    private static func backEdges(_ graph: ServiceGraph, index: [String: Int]) -> Set<Int> {
        var adjacency = Array(repeating: [(to: Int, edge: Int)](), count: index.count)
        var indegree = Array(repeating: 0, count: index.count)
        for (number, edge) in graph.edges.enumerated() {
            guard let from = index[edge.from], let to = index[edge.to], from != to else { continue }
            adjacency[from].append((to, number))
            indegree[to] += 1
        }
        // Callers nobody calls first, then the rest by name (the index order).
        let roots = index.values.sorted { (indegree[$0] > 0 ? 1 : 0, $0) < (indegree[$1] > 0 ? 1 : 0, $1) }
        var state = Array(repeating: 0, count: index.count)  // 0 new, 1 on the path, 2 done
        var back: Set<Int> = []
        for root in roots where state[root] == 0 {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let top = stack.last {
                if top.next < adjacency[top.node].count {
                    stack[stack.count - 1].next += 1
                    let (to, edge) = adjacency[top.node][top.next]
                    if state[to] == 1 {
                        back.insert(edge)
                    } else if state[to] == 0 {
                        state[to] = 1
                        stack.append((to, 0))
                    }
                } else {
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return back
    }

    /// Longest path from the callers: each node one past its furthest predecessor.
    private static func layers(count: Int, _ edges: [(Int, Int)]) -> [Int] {
        var successors = Array(repeating: [Int](), count: count)
        var indegree = Array(repeating: 0, count: count)
        for (from, to) in edges {
            successors[from].append(to)
            indegree[to] += 1
        }
        var layer = Array(repeating: 0, count: count)
        var ready = (0..<count).filter { indegree[$0] == 0 }
        var next = 0
        while next < ready.count {
            let node = ready[next]
            next += 1
            for to in successors[node] {
                layer[to] = max(layer[to], layer[node] + 1)
                indegree[to] -= 1
                if indegree[to] == 0 { ready.append(to) }
            }
        }
        return layer
    }

    /// Each item's rank within its layer.
    private static func order(layers: [[Item]], chainItems: [[Item]], names: [String], previous: Placement?) -> [Item: Double] {
        // Neighbours in the layer before and after, through the chains.
        var up: [Item: [Item]] = [:]
        var down: [Item: [Item]] = [:]
        for items in chainItems {
            for (from, to) in zip(items, items.dropFirst()) {
                down[from, default: []].append(to)
                up[to, default: []].append(from)
            }
        }
        var rank: [Item: Double] = [:]
        for items in layers {
            for (position, item) in items.enumerated() {
                if let node = item.nodeIndex, let kept = previous?.order[names[node]] {
                    rank[item] = kept
                } else {
                    rank[item] = Double(position) + 0.5 + (previous == nil ? 0 : 1e6)
                }
            }
        }
        func barycentre(_ item: Item, _ neighbours: [Item: [Item]]) -> Double? {
            guard let around = neighbours[item], !around.isEmpty else { return nil }
            return around.map { rank[$0]! }.reduce(0, +) / Double(around.count)
        }
        func normalise() {
            for items in layers {
                let sorted = items.sorted { (rank[$0]!, $0.tieBreak) < (rank[$1]!, $1.tieBreak) }
                for (position, item) in sorted.enumerated() { rank[item] = Double(position) }
            }
        }
        if let previous {
            // Known nodes keep their places; new nodes and passes go below them, in the order
            // their neighbours pull them to.
            normalise()
            for items in layers {
                for item in items where item.nodeIndex.map({ previous.order[names[$0]] == nil }) ?? true {
                    rank[item] = 1e6 + (barycentre(item, up) ?? barycentre(item, down) ?? rank[item]!)
                }
            }
            normalise()
            return rank
        }
        normalise()
        var best = rank
        var bestCrossings = crossings(layers: layers, down: down, rank: rank)
        for sweep in 0..<8 where bestCrossings > 0 {
            let downward = sweep % 2 == 0
            let sequence = downward ? Array(layers.indices.dropFirst()) : Array(layers.indices.dropLast().reversed())
            for layer in sequence {
                for item in layers[layer] {
                    if let pulled = barycentre(item, downward ? up : down) { rank[item] = pulled }
                }
                let sorted = layers[layer].sorted { (rank[$0]!, $0.tieBreak) < (rank[$1]!, $1.tieBreak) }
                for (position, item) in sorted.enumerated() { rank[item] = Double(position) }
            }
            let count = crossings(layers: layers, down: down, rank: rank)
            if count < bestCrossings {
                best = rank
                bestCrossings = count
            }
        }
        return best
    }

    /// Pairs of segments between adjacent layers that cross.
    private static func crossings(layers: [[Item]], down: [Item: [Item]], rank: [Item: Double]) -> Int {
        var total = 0
        for items in layers {
            var segments: [(Double, Double)] = []
            for item in items { for to in down[item] ?? [] { segments.append((rank[item]!, rank[to]!)) } }
            guard segments.count <= 3_000 else { continue }
            for a in segments.indices {
                for b in segments.indices where b > a {
                    let (p, q) = (segments[a], segments[b])
                    if (p.0 < q.0 && p.1 > q.1) || (p.0 > q.0 && p.1 < q.1) { total += 1 }
                }
            }
        }
        return total
    }

    /// Drops points that repeat or lie on a straight run.
    private static func simplified(_ points: [Point]) -> [Point] {
        var out: [Point] = []
        for point in points where out.last != point {
            if out.count >= 2 {
                let (a, b) = (out[out.count - 2], out[out.count - 1])
                if (a.x == b.x && b.x == point.x) || (a.y == b.y && b.y == point.y) { out.removeLast() }
            }
            out.append(point)
        }
        return out
    }

    // MARK: labels

    static func columns(_ line: Line) -> Int { line.reduce(0) { $0 + DisplayWidth.of($1.text) } }

    /// The widest rate `Format.rate` writes, with its unit (`9999.9/s`, `999.9k/s`): a rate's
    /// room is kept at this width, so a rate that grows a digit moves no column.
    static let rateColumns = 8

    /// A label's room in its gap: its rate (the first segment) counted at `rateColumns`.
    static func reservedColumns(_ line: Line) -> Int {
        guard let rate = line.first else { return 0 }
        return columns(line) - DisplayWidth.of(rate.text) + max(rateColumns, DisplayWidth.of(rate.text))
    }

    /// The rate always; the error share and the P99 when past the health thresholds; mTLS
    /// where a reporter knows.
    static func label(_ edge: ServiceGraph.Edge, _ thresholds: HealthThresholds) -> Line {
        var line: Line = [Segment(Format.rate(edge.rps) + "/s")]
        if let share = edge.errorShare, share > 0, 1 - share < thresholds.successRate {
            line.append(Segment(" " + Format.decimal(share * 100, places: 1) + "% err", .bad))
        }
        if let p99 = edge.p99, p99 > thresholds.p99Milliseconds { line.append(Segment(" p99 " + Format.milliseconds(p99), .warn)) }
        if let tls = edge.mutualTLS {
            line.append(Segment(tls >= 0.995 ? " mTLS" : tls > 0 ? " mTLS \(Int((tls * 100).rounded()))%" : " plain", .dimmed))
        }
        return line
    }

    static func severity(_ edge: ServiceGraph.Edge, _ thresholds: HealthThresholds) -> Severity {
        if let share = edge.errorShare, share > 0, 1 - share < thresholds.successRate { return .bad }
        if let p99 = edge.p99, p99 > thresholds.p99Milliseconds { return .warn }
        return .plain
    }
}
