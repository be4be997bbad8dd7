import Collectors
import Foundation
import Testing

@testable import MeshTop

/// Each panel on its own, drawn into a small grid and compared with literal lines.
@Suite struct WidgetTests {
    func draw(_ lines: [Line], width: Int) -> [String] {
        var grid = Grid(width: width, height: lines.count)
        for (row, line) in lines.enumerated() { grid.draw(line, x: 0, y: row, limit: width) }
        return grid.lines
    }

    func draw(_ content: PanelContent, width: Int) -> [String] {
        draw([content.title] + (content.header.map { [$0] } ?? []) + (content.lines.isEmpty ? [content.empty ?? []] : content.lines), width: width)
    }

    @Test func trafficTable() {
        let content = TrafficPanel.content(ScreenFixture.model(), UIState(), width: 96)
        #expect(draw(content, width: 96) == [
            "Traffic  reporter=auto  window 1m                                                               ",
            "SOURCE → DESTINATION                RPS▼  SUCCESS     P50     P90     P99 CODES        TREND    ",
            "default/istio-ingressgateway → …    41.2  100.0 %    3 ms    8 ms   21 ms 200          ▃▄▆▇██▇▇ ",
            "default/proxy-etcd-storage → de…    41.0   99.8 %    1 ms    3 ms    9 ms 201 503 UH   ▃▄▆▇██▇▇ ",
        ])
    }

    /// gRPC statuses by name, a TCP edge's connections, the mTLS marks, clusters, and the
    /// edges auto took from a waypoint.
    @Test func trafficShowsGRPCTCPMTLSAndClusters() {
        func key(_ source: String, _ destination: String, _ sourceCluster: String) -> EdgeKey {
            EdgeKey(
                sourceWorkload: source, sourceNamespace: "shop", destinationWorkload: destination, destinationNamespace: "shop",
                destinationService: destination + ".shop.svc.cluster.local", sourceCluster: sourceCluster, destinationCluster: "east")
        }
        var grpc = EdgeStats(key: key("web", "cart", "east"))
        grpc.rps = 10
        grpc.failed = 3.2
        grpc.successRate = 0.68
        grpc.codes = ["200": 10]
        grpc.grpcStatuses = ["0": 6.8, "14": 3.2]
        grpc.mutualTLS = 1
        grpc.reporter = "waypoint"
        var tcp = EdgeStats(key: key("cart", "db", "west"))
        tcp.tcpOpened = 2
        tcp.tcpSent = 1_000
        tcp.mutualTLS = 0
        tcp.reporter = "destination"
        var model = ScreenModel(snapshot: Snapshot(time: ScreenFixture.now, backends: ScreenFixture.snapshot().backends, edges: [grpc, tcp]), now: ScreenFixture.now)
        model.timeZone = TimeZone(identifier: "UTC")!
        let content = TrafficPanel.content(model, UIState(), width: 140)
        #expect(draw(content, width: 140) == [
            "Traffic  reporter=auto (1 by waypoint)  window 1m                                                                                           ",
            "  SOURCE → DESTINATION              RPS▼  SUCCESS     P50     P90     P99 CODES                          TREND                              ",
            "● shop/web@east → shop/cart@east    10.0   68.0 %       -       -       - UNAVAILABLE 3.2/s OK                                              ",
            "○ shop/cart@west → shop/db@east        -        -       -       -       - TCP 2.0 conn/s                                                    ",
        ])
        // The mark column stays when a filter hides every edge with a known policy.
        grpc.mutualTLS = nil
        tcp.mutualTLS = nil
        var unknown = EdgeStats(key: key("web", "search", "east"))
        unknown.rps = 1
        model.snapshot.edges = [grpc, tcp, unknown]
        model.snapshot.edges[0].mutualTLS = 1
        var state = UIState()
        state.filters[.traffic] = try! TextFilter("search")
        let filtered = draw(TrafficPanel.content(model, state, width: 140), width: 140)
        #expect(filtered.count == 3)
        #expect(filtered.last?.hasPrefix("  shop/web@east → shop/search@east") == true, "\(filtered)")
        model.snapshot.edges[0].mutualTLS = nil
        let noPolicy = draw(TrafficPanel.content(model, state, width: 140), width: 140)
        #expect(noPolicy.last?.hasPrefix("shop/web@east → shop/search@east") == true, "\(noPolicy)")
    }

    @Test func trafficTableDropsColumnsWhenNarrow() {
        var state = UIState()
        state.sort = .name
        state.descending = false
        let content = TrafficPanel.content(ScreenFixture.model(), state, width: 56)
        #expect(draw(content, width: 56) == [
            "Traffic  reporter=auto  window 1m                       ",
            "SOURCE → DESTINATION▲              RPS  SUCCESS     P99 ",
            "default/istio-ingressgateway …    41.2  100.0 %   21 ms ",
            "default/proxy-etcd-storage → …    41.0   99.8 %    9 ms ",
        ])
    }

    @Test func trafficErrorsOnlyAndFilter() throws {
        var state = UIState()
        state.errorsOnly = true
        #expect(Array(TrafficPanel.content(ScreenFixture.model(), state, width: 96).items) == [.edge(ScreenFixture.toEtcd)])
        state.errorsOnly = false
        state.filters[.traffic] = try TextFilter("ingress")
        #expect(Array(TrafficPanel.content(ScreenFixture.model(), state, width: 96).items) == [.edge(ScreenFixture.ingress)])
    }

    @Test func etcdMemberCells() {
        let content = EtcdPanel.content(ScreenFixture.model(), UIState(), width: 76, focused: false)
        #expect(draw(content, width: 76) == [
            "etcd  cluster cdf818194e3a8c32  term 2  leader m1  rev 15  v2 index 15      ",
            "m1 ● leader  raft 15/15  db 20 KiB    m2 ● raft 15/15  db 20 KiB            ",
            "m3 ● raft 14/14 (lag 1)  db 20 KiB                                          ",
        ])
    }

    @Test func etcdMemberDownAndNoLeader() {
        var model = ScreenFixture.model()
        var tracker = EtcdTracker()
        var down = EtcdMemberStatus(endpoint: "http://10.0.0.2:2379")
        down.healthy = false
        down.error = "connection refused"
        let members = [ScreenFixture.member("m1", id: 0xA1, raft: 20, leader: 0), down]
        model.snapshot.etcd = tracker.update(EtcdObservation(time: ScreenFixture.now, members: members, v2: .off))
        let content = EtcdPanel.content(model, UIState(), width: 76, focused: false)
        #expect(draw(content, width: 76) == [
            "etcd  cluster cdf818194e3a8c32  term 2  no leader  rev 15  v2 API off       ",
            "m1 ● raft 20/20  db 20 KiB    http://10.0.0.2:2379 ✗ connection refused     ",
        ])
    }

    @Test func requestRows() {
        let content = RequestsPanel.content(ScreenFixture.model(), UIState(), width: 96)
        #expect(draw(content, width: 96) == [
            "Requests  pairs by x-request-id  (2 paired · 0 client-only · 0 server-only)                     ",
            "16:28:24.700  GET /storage/missing                    503  server only    server 1 ms           ",
            "16:28:24.672  GET /v2/keys/istioTest                  200  client 3 ms    server 3 ms      +0 ms",
            "16:28:24.640  PUT /v2/keys/istioTest                  201  client 6 ms    server 4 ms      +2 ms",
        ])
    }

    @Test func header() {
        var state = UIState()
        state.paused = true
        #expect(draw([HeaderLine.line(ScreenFixture.model(), state)], width: 140) == [
            " meshtop  ctx minikube ns default  prom ✓ 12 ms   profile istio   etcd 3/3 ✓ leader m1   svc ✓ 12 ms    12:00:00  every 1s   PAUSED         ",
        ])
    }

    @Test func headerNamesTheProfile() {
        var model = ScreenFixture.model()
        model.snapshot.profile = ProfileStatus(choice: .auto, active: .envoy)
        #expect(draw([HeaderLine.line(model, UIState(), width: 130)], width: 130) == [
            " meshtop  ctx minikube ns default  prom ✓ 12 ms   profile envoy (auto)   etcd 3/3 ✓ leader m1   svc ✓ 12 ms    12:00:00  every 1s ",
        ])
        // Narrower: without latencies; narrower still, without the profile (the Traffic title names it).
        model.snapshot.profile = ProfileStatus(choice: .istio)
        #expect(draw([HeaderLine.line(model, UIState(), width: 96)], width: 96) == [
            " meshtop  ctx minikube ns default prom ✓ profile istio etcd 3/3 ✓ leader m1 svc ✓  12:00:00     ",
        ])
        #expect(draw([HeaderLine.line(model, UIState(), width: 80)], width: 80) == [
            " meshtop  ctx minikube ns default prom ✓ etcd 3/3 ✓ leader m1 svc ✓  12:00:00   ",
        ])
    }

    @Test func headerSaysWhenAScrapeTargetIsDown() {
        var model = ScreenFixture.model()
        model.snapshot.health = [HealthCheck("scrape targets", .warn, "6/7 targets up")]
        #expect(draw([HeaderLine.line(model, UIState(), width: 140)], width: 140) == [
            " meshtop  ctx minikube ns default  prom ‼ 6/7 targets up   profile istio   etcd 3/3 ✓ leader m1   svc ✓ 12 ms    12:00:00  every 1s         ",
        ])
        model.snapshot.health = [HealthCheck("scrape targets", .ok, "7/7 targets up")]
        #expect(draw([HeaderLine.line(model, UIState(), width: 130)], width: 130)[0].contains("prom ✓ 12 ms"))
    }

    @Test func headerSaysWhenPrometheusAnswersInPart() {
        var model = ScreenFixture.model()
        model.snapshot.prometheusWarnings = ["store 10.0.3.7:10901 unreachable", "store 10.0.3.8:10901 unreachable"]
        // Ahead of a target that is down: a partial answer changes every figure on screen.
        model.snapshot.health = [HealthCheck("scrape targets", .warn, "6/7 targets up")]
        #expect(draw([HeaderLine.line(model, UIState(), width: 160)], width: 160) == [
            " meshtop  ctx minikube ns default  prom ‼ partial: store 10.0.3.7:10901 u… (+1)   profile istio   etcd 3/3 ✓ leader m1   svc ✓ 12 ms    12:00:00  every 1s      ",
        ])
        // Narrower, the line drops latencies and the interval but keeps the warning.
        #expect(draw([HeaderLine.line(model, UIState(), width: 140)], width: 140) == [
            " meshtop  ctx minikube ns default prom ‼ partial: store 10.0.3.7:10901 u… (+1) profile istio etcd 3/3 ✓ leader m1 svc ✓  12:00:00           ",
        ])
        model.snapshot.prometheusWarnings = []
        #expect(draw([HeaderLine.line(model, UIState(), width: 140)], width: 140)[0].contains("prom ‼ 6/7 targets up"))
    }

    @Test func trafficSaysWhenTheProfileHasNoSeries() {
        var model = ScreenFixture.model()
        model.snapshot.edges = []
        model.snapshot.profile = ProfileStatus(choice: .envoy, noSeries: MetricsProfile.Name.envoy.noSeries)
        #expect(draw(TrafficPanel.content(model, UIState(), width: 80), width: 80) == [
            "Traffic  envoy  window 1m                                                       ",
            "SOURCE → DESTINATION            RPS▼  SUCCESS     P99 CODES            TREND    ",
            "no Envoy series (envoy_cluster_upstream_rq_total) in Prometheus                 ",
        ])
        model.snapshot.profile = ProfileStatus(choice: .auto, noSeries: MetricsProfile.Choice.noSeries)
        #expect(draw(TrafficPanel.content(model, UIState(), width: 100), width: 100)[2] == 
            "no Istio or Envoy series (istio_requests_total, envoy_cluster_upstream_rq_total) in Prometheus      ")
        // The series are there, the window had no request.
        model.snapshot.profile = ProfileStatus(choice: .auto, active: .envoy)
        #expect(draw(TrafficPanel.content(model, UIState(), width: 60), width: 60)[2] == 
            "no Envoy traffic in the last 1m                             ")
    }

    @Test func cjkAndEmojiValuesKeepColumnsAligned() {
        var model = ScreenFixture.model()
        model.snapshot.edges[0].key.sourceWorkload = "网关"
        model.snapshot.edges[1].key.sourceWorkload = "🚀-storage"
        let lines = draw(TrafficPanel.content(model, UIState(), width: 96), width: 96)
        #expect(lines == [
            "Traffic  reporter=auto  window 1m                                                               ",
            "SOURCE → DESTINATION                RPS▼  SUCCESS     P50     P90     P99 CODES        TREND    ",
            "default/网关 → default/proxy-et…    41.2  100.0 %    3 ms    8 ms   21 ms 200                   ",
            "default/🚀-storage → default/et…    41.0   99.8 %    1 ms    3 ms    9 ms 201 503 UH            ",
        ])
        // The RPS column ends in the same place on every row, wide glyphs or not.
        func end(of text: String, in line: String) -> Int? {
            line.range(of: text).map { DisplayWidth.of(String(line[..<$0.upperBound])) }
        }
        #expect(end(of: "RPS▼", in: lines[1]) != nil)
        #expect(end(of: "41.2", in: lines[2]) == end(of: "RPS▼", in: lines[1]))
        #expect(end(of: "41.0", in: lines[3]) == end(of: "RPS▼", in: lines[1]))
    }
}
