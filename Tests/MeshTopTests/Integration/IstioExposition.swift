import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Istio's standard metrics for two edges, as an istio-proxy exports them, with counters that
/// grow at a fixed rate from zero: every backend that stores them answers the same rates
/// (Prometheus extrapolates a window's ends, VictoriaMetrics does not; on a straight line
/// both give the slope). Served at `/metrics` for scraping, or written out with timestamps
/// for VictoriaMetrics' `/api/v1/import/prometheus`.
struct IstioExposition: Sendable {
    struct Edge: Sendable {
        var source: String
        var destination: String
        var rps: Double
        /// Of `rps`, how many answer 503.
        var failing: Double = 0
    }

    var edges = [
        Edge(source: "istio-ingressgateway", destination: "storage", rps: 10),
        Edge(source: "storage", destination: "etcd", rps: 4, failing: 1),
    ]
    let start = Date()

    /// Every sample `elapsed` seconds after the counters were zero; with `timestamp` (ms) on each.
    func text(elapsed: Double, timestamp: Int64? = nil) -> String {
        let at = timestamp.map { " \($0)" } ?? ""
        var lines = ["# TYPE istio_requests_total counter"]
        var histogram = ["# TYPE istio_request_duration_milliseconds histogram"]
        for edge in edges {
            let labels =
                #"reporter="destination",source_workload="\#(edge.source)",source_workload_namespace="default","#
                + #"destination_workload="\#(edge.destination)",destination_workload_namespace="default","#
                + #"destination_service="\#(edge.destination).default.svc.cluster.local""#
            for (code, rate) in [("200", edge.rps - edge.failing), ("503", edge.failing)] where rate > 0 {
                lines.append(#"istio_requests_total{\#(labels),response_code="\#(code)",response_flags="-"} \#(rate * elapsed)\#(at)"#)
            }
            // Half the requests within 5 ms, nine in ten within 25, all within 100.
            let count = edge.rps * elapsed
            for (le, share) in [("5", 0.5), ("25", 0.9), ("100", 1.0), ("+Inf", 1.0)] {
                histogram.append(#"istio_request_duration_milliseconds_bucket{\#(labels),le="\#(le)"} \#(count * share)\#(at)"#)
            }
            histogram.append(#"istio_request_duration_milliseconds_sum{\#(labels)} \#(count * 10)\#(at)"#)
            histogram.append(#"istio_request_duration_milliseconds_count{\#(labels)} \#(count)\#(at)"#)
        }
        return (lines + histogram).joined(separator: "\n") + "\n"
    }

    /// The last `seconds` of samples, one a second, ending now.
    func history(seconds: Int) -> String {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return (0...seconds).map { step in
            text(elapsed: Double(step), timestamp: now - Int64(seconds - step) * 1000)
        }.joined()
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: self.text(elapsed: Date().timeIntervalSince(self.start)))))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}
