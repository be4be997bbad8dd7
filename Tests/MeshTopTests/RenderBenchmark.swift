import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The render time of the dashboard, for bench/tui.sh (not a check: it does nothing unless
/// MESHTOP_RENDER_BENCH=1). Renders frames of a rich, made-up mesh and prints one line,
/// "render WxH: median … ms, p90 … ms over N frames (…)", so the benchmark times the views
/// and not a terminal. Build it in release with `-enable-testing` (bench/tui.sh does).
/// `MESHTOP_RENDER_BENCH_EDGES` sets the Traffic panel's edges (default 60).
@Suite struct RenderBenchmark {
    static var enabled: Bool { ProcessInfo.processInfo.environment["MESHTOP_RENDER_BENCH"] == "1" }

    @Test(.enabled(if: enabled, "set MESHTOP_RENDER_BENCH=1 to time the rendering"))
    func renderARichFrame() {
        let environment = ProcessInfo.processInfo.environment
        // bench/scale.sh asks for thousands of edges (MESHTOP_RENDER_BENCH_EDGES).
        let edges = environment["MESHTOP_RENDER_BENCH_EDGES"].flatMap(Int.init) ?? 60
        let (width, height, requests) = (240, 70, 1_000)
        let frames = environment["MESHTOP_RENDER_BENCH_FRAMES"].flatMap(Int.init) ?? 1_000
        let model = Self.richModel(edges: edges, requests: requests)
        let state = UIState()
        var samples: [Double] = []
        var sink = 0
        let clock = ContinuousClock()
        for _ in 0..<max(1, frames) {
            let start = clock.now
            let frame = Screen.render(model, state, width: width, height: height)
            let elapsed = clock.now - start
            sink &+= frame.grid.width
            samples.append(elapsed.inMilliseconds)
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p90 = samples[samples.count * 9 / 10]
        print(String(format: "render %dx%d: median %.3f ms, p90 %.3f ms over %d frames (%d edges, %d request rows)",
                     width, height, median, p90, samples.count, edges, requests))
        // Reading the frames keeps the optimiser from dropping the renders.
        #expect(sink > 0)
    }

    /// The graph view at `MESHTOP_RENDER_BENCH_GRAPH_EDGES` edges (default 1,000): a frame
    /// (the picture copied to the screen, the layout kept) and a layout (what a poll with new
    /// figures costs, once a second), collapsed by default past 40 workloads as the dashboard
    /// opens it, and expanded; one line each, "graph …".
    @Test(.enabled(if: enabled, "set MESHTOP_RENDER_BENCH=1 to time the rendering"))
    func renderTheGraph() {
        let environment = ProcessInfo.processInfo.environment
        let edges = environment["MESHTOP_RENDER_BENCH_GRAPH_EDGES"].flatMap(Int.init) ?? 1_000
        let frames = environment["MESHTOP_RENDER_BENCH_FRAMES"].flatMap(Int.init) ?? 1_000
        var model = Self.richModel(edges: edges, requests: 100)
        var sink = 0
        let clock = ContinuousClock()
        func median(_ samples: [Double]) -> (Double, Double) {
            let sorted = samples.sorted()
            return (sorted[sorted.count / 2], sorted[sorted.count * 9 / 10])
        }
        for collapsed in [nil, false] as [Bool?] {
            var state = UIState()
            _ = state.handle(.character("g"))
            state.graph.collapsed = collapsed
            var cache = GraphCache()
            var layouts: [Double] = []
            for poll in 0..<20 {
                model.snapshot.time = Date(timeIntervalSince1970: Double(poll))
                let start = clock.now
                model.graph = cache.update(model.snapshot, view: state.graph, thresholds: model.thresholds)
                layouts.append((clock.now - start).inMilliseconds)
            }
            var samples: [Double] = []
            for _ in 0..<max(1, frames) {
                let start = clock.now
                let frame = Screen.render(model, state, width: 240, height: 70)
                samples.append((clock.now - start).inMilliseconds)
                sink &+= frame.grid.width
            }
            let (frame, frame90) = median(samples)
            let (layout, layout90) = median(layouts)
            let nodes = model.graph?.layout.boxes.count ?? 0
            print(String(format: "graph 240x70 %@: frame median %.3f ms, p90 %.3f ms; layout median %.1f ms, p90 %.1f ms (%d edges, %d nodes drawn)",
                         collapsed == nil ? "collapsed" : "expanded", frame, frame90, layout, layout90, edges, nodes))
        }
        #expect(sink > 0)
    }

    /// Every panel full: `edges` edges with history, five etcd members, request pairs.
    static func richModel(edges count: Int, requests: Int) -> ScreenModel {
        let now = Date()
        var sources: [Snapshot.Backend: BackendFreshness] = [:]
        for source in Snapshot.Backend.allCases {
            var state = BackendFreshness(configured: true)
            state.ok = true
            state.latency = .milliseconds(3)
            state.lastSuccess = now
            sources[source] = state
        }
        var edges: [EdgeStats] = []
        var history = MeshHistory()
        for index in 0..<count {
            let key = EdgeKey(
                sourceWorkload: "workload-\(index)", sourceNamespace: "ns-\(index % 7)", destinationWorkload: "backend-\(index % 11)",
                destinationNamespace: "ns-\(index % 5)", destinationService: "backend-\(index % 11).svc.cluster.local")
            var edge = EdgeStats(key: key)
            edge.rps = Double(index) * 1.7 + 0.5
            edge.successRate = index % 9 == 0 ? 0.97 : 1
            edge.p50 = Double(index % 13) + 0.4
            edge.p90 = Double(index % 13) * 3 + 1
            edge.p99 = Double(index % 13) * 9 + 2
            edge.codes = ["200": edge.rps, "503": index % 9 == 0 ? 0.2 : 0]
            edge.flags = index % 9 == 0 ? ["UH": 0.2] : [:]
            edges.append(edge)
            for point in 0..<MeshHistory.capacity {
                history.append(key, time: Double(point), rps: edge.rps * (1 + sin(Double(point + index) / 5) / 3))
            }
        }
        var members: [EtcdMemberStatus] = []
        for index in 1...5 {
            var member = EtcdMemberStatus(endpoint: "http://10.0.0.\(index):2379")
            member.id = UInt64(index) * 0x1111_1111
            member.name = "m\(index)"
            member.healthy = true
            member.clusterID = 0xCDF8_1819_4E3A_8C32
            member.leader = 0x1111_1111
            member.raftIndex = 10_000 - UInt64(index)
            member.raftAppliedIndex = 10_000 - UInt64(index)
            member.raftTerm = 2
            member.revision = 5_000
            member.dbSize = 20_480 * UInt64(index)
            members.append(member)
        }
        var tracker = EtcdTracker()
        let etcd = tracker.update(EtcdObservation(time: now, members: members, v2: .on(index: 9_000, raftIndex: nil, raftTerm: nil, clusterID: nil)))
        var lines: [(record: AccessLogRecord, text: String)] = []
        for index in 0..<requests {
            for inbound in [false, true] {
                var record = AccessLogRecord()
                record.startTime = "2026-11-27T16:28:24.640Z"
                record.method = index % 2 == 0 ? "PUT" : "GET"
                record.path = "/storage/key-\(index % 50)"
                record.responseCode = index % 40 == 0 ? 503 : 200
                record.responseFlags = "-"
                record.duration = inbound ? 4 : 6
                record.requestID = "request-\(index)"
                record.authority = "proxy-etcd-storage:9080"
                record.direction = inbound ? .inbound : .outbound
                lines.append((record, "raw line \(index)"))
            }
        }
        var model = ScreenModel(snapshot: Snapshot(time: now, backends: sources, edges: edges, history: history, etcd: etcd), now: now)
        model.requests = RequestFeed(pairing: lines)
        model.logSources = ["access.log"]
        return model
    }
}
