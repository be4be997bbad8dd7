import Collectors
import Testing

/// The envoy profile's pure parts: cluster names, answers to edges, Envoy's counters as Istio
/// flags. Answers as Prometheus 2.42 wrote them for a real Envoy 1.40: with Envoy's default
/// stats tags (`envoy_cluster_name`, `envoy_response_code`) and with Istio's (`cluster_name`,
/// `response_code`, and `response_code_class` on the same counter).
@Suite struct EnvoyProfileTests {
    private func decode(_ text: String) throws -> PrometheusAnswer {
        try PrometheusAnswer.decode(status: 200, body: Array(text.utf8))
    }

    private func vector(_ items: [String]) -> String {
        #"{"status":"success","data":{"resultType":"vector","result":["# + items.joined(separator: ",") + "]}}"
    }

    private func sample(_ labels: String, _ value: String) -> String {
        #"{"metric":{\#(labels)},"value":[1764590000.5,"\#(value)"]}"#
    }

    @Test(arguments: [
        ("outbound|9080||proxy-etcd-storage.default.svc.cluster.local", EnvoyCluster.upstream("proxy-etcd-storage.default.svc.cluster.local")),
        ("outbound|2379|v3|etcd.storage.svc.cluster.local", .upstream("etcd.storage.svc.cluster.local")),
        ("inbound|9080||", .inbound(port: "9080")),
        ("inbound|9080|http|storage-service.default.svc.cluster.local", .inbound(port: "9080")),
        ("httproute/default/backend/rule/0", .upstream("httproute/default/backend/rule/0")),
        ("default/backend/80", .upstream("default/backend/80")),
        ("PassthroughCluster", .upstream("PassthroughCluster")),
        ("BlackHoleCluster", .upstream("BlackHoleCluster")),
        ("outbound|9080|", .upstream("outbound|9080|")),
        ("outbound|9080||", .upstream("outbound|9080||")),
        ("xds-grpc", .control), ("sds-grpc", .control), ("agent", .control), ("prometheus_stats", .control),
    ])
    func clusterNames(_ name: String, _ expected: EnvoyCluster) {
        #expect(EnvoyCluster(name: name) == expected)
    }

    @Test func edgeNamesFromTheScrapeAndTheCluster() {
        let outbound = EnvoyCluster.edge(labels: [
            "job": "istio-ingressgateway", "cluster_name": "outbound|9080||storage-service.default.svc.cluster.local",
        ])
        #expect(outbound?.source == "istio-ingressgateway")
        #expect(outbound?.destination == "storage-service.default.svc.cluster.local")
        #expect(outbound?.destinationService == "storage-service.default.svc.cluster.local")
        // A workload label wins over the job, a namespace label is the source's.
        let labelled = EnvoyCluster.edge(labels: [
            "job": "envoy-stats", "workload": "storage-service", "namespace": "default", "envoy_cluster_name": "default/backend/80",
        ])
        #expect(labelled?.source == "default/storage-service")
        #expect(labelled?.destination == "default/backend/80")
        // Inbound: the requests that reached the workload's own application.
        let inbound = EnvoyCluster.edge(labels: ["job": "envoy-stats", "workload": "storage-service", "namespace": "default", "cluster_name": "inbound|9080||"])
        #expect(inbound?.source == "inbound")
        #expect(inbound?.destination == "default/storage-service")
        #expect(inbound?.destinationService == "inbound:9080")
        #expect(EnvoyCluster.edge(labels: ["job": "gw", "cluster_name": "xds-grpc"]) == nil)
        #expect(EnvoyCluster.edge(labels: ["job": "gw"]) == nil)
    }

    @Test func envoyCountersAreIstioFlags() {
        #expect(EnvoyEdges.flag(counter: "upstream_cx_connect_fail") == "UF")
        #expect(EnvoyEdges.flag(counter: "upstream_rq_timeout") == "UT")
        #expect(EnvoyEdges.flag(counter: "upstream_rq_retry") == "URX")
        #expect(EnvoyEdges.flag(counter: "upstream_rq_pending_overflow") == "UO")
        #expect(EnvoyEdges.flag(counter: "upstream_cx_none_healthy") == "UH")
        #expect(EnvoyEdges.flag(counter: "upstream_rq_total") == nil)
        // One query asks all five, each series labelled with its counter.
        let flags = EnvoyQueries(window: "30s").promql("flags")
        for (counter, _) in EnvoyQueries.flagCounters {
            #expect(flags.contains(#"rate(envoy_cluster_\#(counter)[30s])), "counter", "\#(counter)""#), "\(flags)")
        }
    }

    @Test func queriesAreTemplatesAConfigFileMayReplace() {
        let queries = EnvoyQueries(window: "5m", overrides: ["buckets": "sum by (le, {edge}) (rate(my_bucket[{window}]))"])
        #expect(queries.promql("buckets") == "sum by (le, job, workload, namespace, envoy_cluster_name, cluster_name) (rate(my_bucket[5m]))")
        #expect(
            queries.promql("codes")
                == #"sum by (job, workload, namespace, envoy_cluster_name, cluster_name, envoy_response_code, response_code) (rate(envoy_cluster_upstream_rq{response_code_class=""}[5m]))"#)
        #expect(EnvoyQueries.names == ["buckets", "codes", "flags", "span"])
        let profile = MetricsProfile.envoy(queries)
        #expect(profile.name == .envoy && profile.names == EnvoyQueries.names && profile.rateQuery == "codes")
        #expect(MetricsProfile.istio(IstioQueries()).promql("traffic") == IstioQueries().promql("traffic"))
    }

    @Test func profileChoicesCycleAndNameTheirSeries() {
        #expect(MetricsProfile.Choice.istio.next == .envoy)
        #expect(MetricsProfile.Choice.envoy.next == .auto)
        #expect(MetricsProfile.Choice.auto.next == .istio)
        #expect(MetricsProfile.Name.envoy.noSeries == "no Envoy series (envoy_cluster_upstream_rq_total) in Prometheus")
        #expect(MetricsProfile.Name.istio.noSeries == "no Istio series (istio_requests_total) in Prometheus")
        #expect(ProfileStatus(choice: .auto, active: .envoy).label == "envoy (auto)")
        #expect(ProfileStatus(choice: .istio).label == "istio")
        #expect(ProfileStatus(choice: .auto).label == "auto")
    }

    /// Envoy's default tags: a gateway (job) with an Envoy Gateway route cluster and two
    /// subsets of one Istio-named service, a dead cluster (UF) and an idle one.
    @Test func edgesFromEnvoysDefaultTags() throws {
        let gateway = #""job":"istio-ingressgateway","instance":"127.0.0.1:15000""#
        func cluster(_ name: String) -> String { gateway + #","envoy_cluster_name":"\#(name)""# }
        let v1 = cluster("outbound|9080|v1|storage.default.svc.cluster.local")
        let v2 = cluster("outbound|9080|v2|storage.default.svc.cluster.local")
        let route = cluster("httproute/default/backend/rule/0")
        let dead = cluster("outbound|9999||dead.default.svc.cluster.local")
        let idle = cluster("outbound|80||idle.default.svc.cluster.local")
        let answers: [String: PrometheusAnswer] = [
            "codes": try decode(vector([
                sample(v1 + #","envoy_response_code":"200""#, "6"), sample(v2 + #","envoy_response_code":"200""#, "3"),
                sample(v2 + #","envoy_response_code":"503""#, "1"), sample(route + #","envoy_response_code":"404""#, "2"),
                sample(dead + #","envoy_response_code":"503""#, "0.5"), sample(idle + #","envoy_response_code":"200""#, "0"),
            ])),
            "flags": try decode(vector([
                sample(dead + #","counter":"upstream_cx_connect_fail""#, "0.5"), sample(v1 + #","counter":"upstream_cx_connect_fail""#, "0"),
                sample(v2 + #","counter":"upstream_rq_retry""#, "0.25"), sample(idle + #","counter":"upstream_rq_timeout""#, "0"),
                sample(cluster("xds-grpc") + #","counter":"upstream_cx_connect_fail""#, "1"),
            ])),
            // v1: 6/s, 3 under 1 ms, all under 5 ms; v2: 4/s, all between 5 and 10 ms.
            "buckets": try decode(vector([
                sample(v1 + #","le":"1""#, "3"), sample(v1 + #","le":"5""#, "6"), sample(v1 + #","le":"10""#, "6"), sample(v1 + #","le":"+Inf""#, "6"),
                sample(v2 + #","le":"1""#, "0"), sample(v2 + #","le":"5""#, "0"), sample(v2 + #","le":"10""#, "4"), sample(v2 + #","le":"+Inf""#, "4"),
                sample(route + #","le":"1""#, "2"), sample(route + #","le":"+Inf""#, "2"),
                sample(idle + #","le":"1""#, "0"), sample(idle + #","le":"+Inf""#, "0"),
            ])),
        ]
        let edges = MetricsProfile.envoy(EnvoyQueries()).edges(from: answers)
        #expect(edges.map(\.key.destination) == [
            "dead.default.svc.cluster.local", "httproute/default/backend/rule/0", "storage.default.svc.cluster.local",
        ])
        #expect(Set(edges.map(\.key.source)) == ["istio-ingressgateway"])
        let storage = try #require(edges.first { $0.key.destination == "storage.default.svc.cluster.local" })
        #expect(storage.rps == 10)
        #expect(storage.codes == ["200": 9, "503": 1])
        #expect(storage.successRate == 0.9)
        #expect(storage.flags == ["URX": 0.25])
        // 10 observations: 3 ≤ 1, 6 ≤ 5, 10 ≤ 10 (histogram_quantile's interpolation).
        let p50: Double = 1 + 4 * (2.0 / 3)
        let p90: Double = 5 + 5 * (3.0 / 4)
        let p99: Double = 5 + 5 * (3.9 / 4)
        #expect(storage.p50 == p50)
        #expect(storage.p90 == p90)
        #expect(abs((storage.p99 ?? 0) - p99) < 1e-9)
        let failing = try #require(edges.first { $0.key.destination == "dead.default.svc.cluster.local" })
        #expect(failing.flags == ["UF": 0.5])
        #expect(failing.successRate == 0)
        #expect(failing.p50 == nil)
        let routeEdge = try #require(edges.first { $0.key.destination == "httproute/default/backend/rule/0" })
        #expect(routeEdge.successRate == 1)
        #expect(routeEdge.codes == ["404": 2])
    }

    /// Istio's tags: the per-code and per-class series share `envoy_cluster_upstream_rq`; the
    /// query leaves the classes out, and a class that slips in (a replaced template) is not a code.
    @Test func edgesFromIstioSidecarTags() throws {
        let sidecar = #""job":"envoy-stats","workload":"storage-service","namespace":"default""#
        let outbound = sidecar + #","cluster_name":"outbound|2379||etcd.default.svc.cluster.local""#
        let inbound = sidecar + #","cluster_name":"inbound|9080||""#
        let answers: [String: PrometheusAnswer] = [
            "codes": try decode(vector([
                sample(outbound + #","response_code":"200""#, "4"), sample(inbound + #","response_code":"201""#, "2"),
                sample(inbound + #","response_code":"503""#, "2"),
                sample(sidecar + #","cluster_name":"xds-grpc","response_code":"200""#, "0.1"),
                sample(sidecar + #","cluster_name":"PassthroughCluster","response_code":"200""#, "0.5"),
            ])),
            "flags": try decode(vector([sample(inbound + #","counter":"upstream_rq_pending_overflow""#, "2")])),
            "buckets": try decode(vector([])),
        ]
        let edges = EnvoyEdges.edges(from: answers)
        #expect(edges.map { "\($0.key.source) → \($0.key.destination)" } == [
            "default/storage-service → PassthroughCluster", "default/storage-service → etcd.default.svc.cluster.local",
            "inbound → default/storage-service",
        ])
        let served = try #require(edges.last)
        #expect(served.codes == ["201": 2, "503": 2])
        #expect(served.successRate == 0.5)
        #expect(served.flags == ["UO": 2])
        #expect(served.p99 == nil)
    }
}
