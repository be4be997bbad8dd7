/// The envoy profile's answers (`EnvoyQueries`) made into edges; pure, so recorded answers
/// test it.
public enum EnvoyEdges {
    /// Flag by counter name, from `EnvoyQueries.flagCounters`.
    static let flagByCounter = Dictionary(uniqueKeysWithValues: EnvoyQueries.flagCounters.map { ($0.counter, $0.flag) })

    /// The Istio response flag a failure counter of Envoy's stands for, nil for another name.
    public static func flag(counter: String) -> String? { flagByCounter[counter] }

    /// Several clusters can name one destination (subsets, ports): their rates, codes and
    /// buckets add up on one edge. An edge with neither requests nor failures in the window
    /// is left out: an Envoy holds a cluster for every service it could call, most of them idle.
    public static func edges(from answers: [String: PrometheusAnswer]) -> [EdgeStats] {
        var edges: [EdgeKey: EdgeStats] = [:]
        func each(_ name: String, _ body: (EdgeKey, [String: String], Double) -> Void) {
            for series in answers[name]?.result.series ?? [] {
                guard let value = series.value, value.isFinite, let key = EnvoyCluster.edge(labels: series.labels) else { continue }
                body(key, series.labels, value)
            }
        }
        each("codes") { key, labels, value in
            let code = [labels["envoy_response_code"], labels["response_code"]].compactMap { $0 }.first { !$0.isEmpty } ?? "-"
            edges[key, default: EdgeStats(key: key)].rps += value
            edges[key]!.codes[code, default: 0] += value
            if code.hasPrefix("5") { edges[key]!.failed += value }
        }
        each("flags") { key, labels, value in
            guard value > 0, let flag = labels["counter"].flatMap(flag(counter:)) else { return }
            edges[key, default: EdgeStats(key: key)].flags[flag, default: 0] += value
        }
        edges = edges.filter { $0.value.rps > 0 || !$0.value.flags.isEmpty }
        var buckets: [EdgeKey: [HistogramQuantile.Bucket]] = [:]
        for series in answers["buckets"]?.result.series ?? [] {
            guard let value = series.value, !value.isNaN, let bound = series.labels["le"].flatMap(Double.init),
                let key = EnvoyCluster.edge(labels: series.labels), edges[key] != nil
            else { continue }
            // Equal bounds of two clusters are added by HistogramQuantile.
            buckets[key, default: []].append(.init(upperBound: bound, count: value))
        }
        return EdgeStats.finished(edges, buckets: buckets)
    }
}
