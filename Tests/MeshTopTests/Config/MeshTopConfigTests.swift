import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The config file's loader, and the example the documentation shows.
@Suite struct MeshTopConfigTests {
    @Test func theExampleIsAFileTheLoaderAccepts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-example-\(UUID().uuidString).yaml").path
        try MeshTopConfig.example.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try MeshTopConfig.load(path: path, explicit: true)
        #expect(config.prometheus == "http://127.0.0.1:9090")
        #expect(config.etcd == ["http://127.0.0.1:2379"])
        #expect(config.profile == "auto")
        #expect(config.queries?.keys.sorted() == ["buckets"])
        #expect(config.grpc_failure_codes == "UNAVAILABLE,DEADLINE_EXCEEDED,INTERNAL,UNKNOWN")
        #expect(config.envoy_queries?.keys.sorted() == ["buckets"])
        #expect(config.thresholds == .init(success_rate: 0.99, p99_ms: 500, raft_lag: 100))
        // And every value in it resolves.
        let endpoints = try EndpointOptions.parse([]).resolve(environment: [:], file: config)
        #expect(endpoints.prometheus == .url("http://127.0.0.1:9090"))
        #expect(endpoints.maxAnswerBytes == 16 << 20)
        #expect(endpoints.grpcFailures.names == ["UNKNOWN", "DEADLINE_EXCEEDED", "INTERNAL", "UNAVAILABLE"])
        #expect(endpoints.tracingURL == TracingLink(template: "http://127.0.0.1:16686/trace/{trace_id}"))
    }

    @Test func aQueryNameMeshtopDoesNotHaveIsRejected() {
        #expect {
            try MeshTopConfig.decode(Data("queries:\n  requests: up\n".utf8), path: "c.yaml")
        } throws: { error in
            "\(error)".hasPrefix("c.yaml: unknown query 'requests' (known: buckets, messages, span, tcp, traffic)")
        }
    }
}
