import Collectors
import Testing

/// Answers as Prometheus 2.42 writes them, decoded; and edges assembled from them.
@Suite struct PrometheusAnswerTests {
    private func decode(_ text: String, status: Int = 200) throws(PrometheusError) -> PrometheusAnswer {
        try PrometheusAnswer.decode(status: status, body: Array(text.utf8))
    }

    @Test func vectorWithNaNAndInfinity() throws {
        let answer = try decode(
            #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"destination_workload":"storage"},"value":[1764244800.123,"12.5"]},{"metric":{"le":"+Inf"},"value":[1764244800.123,"NaN"]},{"metric":{},"value":[1764244800.123,"+Inf"]}]}}"#)
        let series = answer.result.series
        #expect(series.count == 3)
        #expect(series[0].labels == ["destination_workload": "storage"])
        #expect(series[0].value == 12.5)
        #expect(series[0].points.first?.time == 1_764_244_800.123)
        #expect(series[1].value?.isNaN == true)
        #expect(series[2].value == .infinity)
        #expect(answer.warnings.isEmpty)
    }

    @Test func matrixScalarStringAndWarnings() throws {
        let matrix = try decode(
            #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"-Inf"],[3,"3.25"]]}]},"warnings":["query too broad"]}"#)
        #expect(matrix.result.series.first?.points.map(\.value) == [1, -.infinity, 3.25])
        #expect(matrix.warnings == ["query too broad"])
        guard case .matrix = matrix.result else { Issue.record("not a matrix"); return }
        #expect(try decode(#"{"status":"success","data":{"resultType":"scalar","result":[5,"0.5"]}}"#).result == .scalar(PrometheusPoint(time: 5, value: 0.5)))
        #expect(try decode(#"{"status":"success","data":{"resultType":"string","result":[5,"hello"]}}"#).result == .string(time: 5, value: "hello"))
    }

    @Test func errorsSayWhatWentWrong() {
        #expect(throws: PrometheusError(.api, #"bad_data: invalid parameter "query": 1:6: parse error: unexpected <by>"#)) {
            try decode(
                #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error: unexpected <by>"}"#,
                status: 400)
        }
        #expect(throws: PrometheusError(.api, "timeout: query timed out in expression evaluation")) {
            try decode(#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#, status: 503)
        }
        #expect(throws: PrometheusError(.http, "HTTP 502: <html>Bad Gateway</html>")) {
            try decode("<html>Bad Gateway</html>", status: 502)
        }
        #expect(throws: PrometheusError(.decode, "not a Prometheus API answer: {}")) { try decode("{}") }
        #expect(throws: PrometheusError(.decode, "vector sample without a [time, value] pair")) {
            try decode(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}"#)
        }
    }

    private func vector(_ rows: [([String: String], String)]) -> PrometheusAnswer {
        PrometheusAnswer(
            result: .vector(rows.map { PrometheusSeries(labels: $0.0, points: [PrometheusPoint(time: 1, value: Double($0.1)!)]) }),
            warnings: [])
    }

    @Test func edgesFromTheAnswers() {
        let edge = [
            "source_workload": "loadgen", "source_workload_namespace": "default", "destination_workload": "storage",
            "destination_workload_namespace": "default", "destination_service": "storage.default.svc.cluster.local",
        ]
        let idle = edge.merging(["destination_workload": "idle"]) { $1 }
        func with(_ base: [String: String], _ extra: [String: String]) -> [String: String] { base.merging(extra) { $1 } }
        let answers: [String: PrometheusAnswer] = [
            "traffic": vector([
                (with(edge, ["response_code": "200", "response_flags": "-"]), "9"),
                (with(edge, ["response_code": "503", "response_flags": "UF"]), "0.5"),
                (with(edge, ["response_code": "404", "response_flags": "-"]), "0.5"),
                (with(idle, ["response_code": "200", "response_flags": "-"]), "0"),
            ]),
            // 10 req/s: 5 under 1 ms, 4 more under 5 ms, 1 more under 10 ms.
            "buckets": vector([
                (with(edge, ["le": "1"]), "5"), (with(edge, ["le": "5"]), "9"), (with(edge, ["le": "10"]), "10"),
                (with(edge, ["le": "+Inf"]), "10"), (with(idle, ["le": "1"]), "0"), (with(idle, ["le": "+Inf"]), "0"),
            ]),
            "tcp": vector([]),
        ]
        let edges = IstioEdges.edges(from: answers)
        #expect(edges.count == 2)
        let busy = edges.first { $0.key.destinationWorkload == "storage" }
        #expect(busy?.key.source == "default/loadgen")
        #expect(busy?.rps == 10)
        #expect(busy?.successRate == 0.95)
        #expect(busy?.codes == ["200": 9, "503": 0.5, "404": 0.5])
        #expect(busy?.flags == ["UF": 0.5])
        #expect(busy?.p50 == 1)
        #expect(busy?.p90 == 5)
        #expect(abs((busy?.p99 ?? 0) - 9.5) < 1e-9)
        let quiet = edges.first { $0.key.destinationWorkload == "idle" }
        #expect(quiet?.successRate == nil)
        #expect(quiet?.p50 == nil)
    }

    @Test func quantilesFollowPrometheusRules() {
        typealias B = HistogramQuantile.Bucket
        let buckets = [B(upperBound: 10, count: 10), B(upperBound: 1, count: 5), B(upperBound: .infinity, count: 10), B(upperBound: 5, count: 9)]
        #expect(HistogramQuantile.quantile(0.5, buckets) == 1)
        #expect(HistogramQuantile.quantile(0.25, buckets) == 0.5)
        #expect(HistogramQuantile.quantile(0.7, buckets) == 3)
        // Past the last finite bucket: its upper bound, as Prometheus answers.
        let tail = [B(upperBound: 10, count: 8), B(upperBound: .infinity, count: 10)]
        #expect(HistogramQuantile.quantile(0.99, tail) == 10)
        #expect(HistogramQuantile.quantile(0.5, [B(upperBound: 10, count: 8)]) == nil)
        #expect(HistogramQuantile.quantile(0.5, [B(upperBound: 1, count: 0), B(upperBound: .infinity, count: 0)]) == nil)
        #expect(HistogramQuantile.quantile(1.5, buckets) == .infinity)
        // Non-monotonic counts (a scrape mid-update) are evened out.
        #expect(HistogramQuantile.quantile(0.5, [B(upperBound: 1, count: 6), B(upperBound: 2, count: 4), B(upperBound: .infinity, count: 10)]) == 5.0 / 6.0)
    }

    @Test func queriesFillTheirTemplates() {
        let queries = IstioQueries(window: "5m", reporter: .source, overrides: ["buckets": "max(x{reporter=\"{reporter}\"}[{window}])"])
        #expect(queries.promql("traffic") == #"sum by (reporter, source_workload, source_workload_namespace, source_cluster, destination_workload, destination_workload_namespace, destination_cluster, destination_service, request_protocol, response_code, response_flags, grpc_response_status, connection_security_policy) (rate(istio_requests_total{reporter=~"source"}[5m]))"#)
        #expect(queries.promql("buckets") == #"max(x{reporter="source"}[5m])"#)
        #expect(IstioQueries().promql("buckets").hasPrefix("(sum by (le, reporter, source_workload"))
        #expect(IstioQueries.names == ["buckets", "messages", "span", "tcp", "traffic"])
    }
}
