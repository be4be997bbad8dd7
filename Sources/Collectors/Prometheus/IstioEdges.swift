/// The istio profile's answers (`IstioQueries`) made into edges; pure, so recorded answers
/// test it.
public enum IstioEdges {
    /// Edges from the answers by query name. gRPC calls fail by their status, not their
    /// HTTP code (a failed call answers 200), as `grpcFailures` says.
    public static func edges(from answers: [String: PrometheusAnswer], grpcFailures: GRPCFailures = .standard) -> [EdgeStats] {
        let answers = oneReporterPerEdge(answers)
        var edges: [EdgeKey: EdgeStats] = [:]
        // Requests (or, for an edge without any, connections) over mutual TLS and in the clear.
        var security: [EdgeKey: (mutual: Double, plain: Double)] = [:]
        func each(_ name: String, _ body: (EdgeKey, [String: String], Double) -> Void) {
            for series in answers[name]?.result.series ?? [] {
                guard let value = series.value, value.isFinite else { continue }
                body(EdgeKey(labels: series.labels), series.labels, value)
            }
        }
        func count(_ key: EdgeKey, policy: String?, _ value: Double) {
            switch policy {
            case "mutual_tls": security[key, default: (0, 0)].mutual += value
            case "none": security[key, default: (0, 0)].plain += value
            default: break
            }
        }
        each("traffic") { key, labels, value in
            let code = labels["response_code"] ?? "-"
            var edge = edges[key] ?? EdgeStats(key: key)
            edge.reporter = labels["reporter"]
            edge.rps += value
            edge.codes[code, default: 0] += value
            if let flags = labels["response_flags"], flags != "-", !flags.isEmpty { edge.flags[flags, default: 0] += value }
            let grpc = labels["request_protocol"] == "grpc"
            let status = labels["grpc_response_status"] ?? ""
            if grpc, !status.isEmpty { edge.grpcStatuses[status, default: 0] += value }
            if code.hasPrefix("5") || (grpc && grpcFailures.isFailure(status)) { edge.failed += value }
            edges[key] = edge
            count(key, policy: labels["connection_security_policy"], value)
        }
        var connections: [EdgeKey: (mutual: Double, plain: Double)] = [:]
        each("tcp") { key, labels, value in
            var edge = edges[key] ?? EdgeStats(key: key)
            if edge.reporter == nil { edge.reporter = labels["reporter"] }
            switch labels["meshtop"] {
            case "sent": edge.tcpSent = (edge.tcpSent ?? 0) + value
            case "received": edge.tcpReceived = (edge.tcpReceived ?? 0) + value
            case "opened":
                edge.tcpOpened = (edge.tcpOpened ?? 0) + value
                let policy = labels["connection_security_policy"]
                if policy == "mutual_tls" { connections[key, default: (0, 0)].mutual += value }
                if policy == "none" { connections[key, default: (0, 0)].plain += value }
            case "closed": edge.tcpClosed = (edge.tcpClosed ?? 0) + value
            default: return
            }
            edges[key] = edge
        }
        each("messages") { key, labels, value in
            guard edges[key] != nil else { return }
            switch labels["meshtop"] {
            case "request": edges[key]!.requestMessages = (edges[key]!.requestMessages ?? 0) + value
            case "response": edges[key]!.responseMessages = (edges[key]!.responseMessages ?? 0) + value
            default: break
            }
        }
        for key in edges.keys {
            // Requests say it best; an edge of TCP alone has its connections.
            guard let seen = security[key] ?? connections[key], seen.mutual + seen.plain > 0 else { continue }
            edges[key]!.mutualTLS = seen.mutual / (seen.mutual + seen.plain)
        }
        var buckets: [EdgeKey: [HistogramQuantile.Bucket]] = [:]
        for series in answers["buckets"]?.result.series ?? [] {
            guard let value = series.value, !value.isNaN, let bound = series.labels["le"].flatMap(Double.init) else { continue }
            buckets[EdgeKey(labels: series.labels), default: []].append(.init(upperBound: bound, count: value))
        }
        return EdgeStats.finished(edges, buckets: buckets)
    }

    /// Under `reporter=auto` an edge may come from two reporters (the destination's sidecar
    /// and a waypoint in front of it): per query and edge, only the preferred reporter's
    /// series stay, so nothing is counted twice. With one reporter asked this keeps all.
    public static func oneReporterPerEdge(_ answers: [String: PrometheusAnswer]) -> [String: PrometheusAnswer] {
        answers.mapValues(oneReporterPerEdge)
    }

    public static func oneReporterPerEdge(_ answer: PrometheusAnswer) -> PrometheusAnswer {
        let series = answer.result.series
        var chosen: [EdgeKey: String] = [:]
        var mixed = false
        for item in series {
            guard let reporter = item.labels["reporter"] else { continue }
            let key = EdgeKey(labels: item.labels)
            guard let current = chosen[key] else {
                chosen[key] = reporter
                continue
            }
            if current != reporter { mixed = true }
            if IstioQueries.Reporter.preferred(reporter, over: current) { chosen[key] = reporter }
        }
        guard mixed else { return answer }
        let kept = series.filter { item in
            guard let reporter = item.labels["reporter"] else { return true }
            return chosen[EdgeKey(labels: item.labels)] == reporter
        }
        var filtered = answer
        switch answer.result {
        case .matrix: filtered.result = .matrix(kept)
        default: filtered.result = .vector(kept)
        }
        return filtered
    }
}
