import TestSupport
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

@testable import StorageService

/// storage-service against a real etcd 3.4 that each test starts on free loopback ports,
/// through the v3 gateway and through the v2 keys API.
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct EtcdIntegrationTests {
    static let apis: [ServiceConfig.EtcdAPI] = [.v3, .v2]

    private func withService(
        _ api: ServiceConfig.EtcdAPI, accessLog: String? = nil, deadEndpointFirst: Bool = false,
        _ body: @Sendable (EtcdServer, HTTPClient, Int) async throws -> Void
    ) async throws {
        let etcd = try await EtcdServer(enableV2: api == .v2)
        var config = ServiceHarness.config(etcd: etcd, api: api, accessLog: accessLog)
        if deadEndpointFirst {
            config.etcdEndpoints.insert("http://127.0.0.1:\(FreePort.next())", at: 0)
        }
        let app = try buildApplication(config)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await app.test(.live) { client in
                try await body(etcd, http, try #require(client.port))
            }
        } catch {
            try? await http.shutdown()
            etcd.stop()
            throw error
        }
        try await http.shutdown()
        etcd.stop()
    }

    @Test(arguments: apis)
    func originalTranscript(_ api: ServiceConfig.EtcdAPI) async throws {
        try await withService(api) { _, http, port in
            let first = try await ServiceHarness.call(
                http, port: port, .PUT, "/storage", body: #"{"key": "istioTest", "value":"Testing Istio using Ingress"}"#)
            #expect(first.status == 201)
            #expect(try first.json()["prevNode"] == nil)

            let second = try await ServiceHarness.call(
                http, port: port, .PUT, "/storage", body: #"{"key": "istioTest", "value":"Testing Istio using NodePort"}"#)
            #expect(second.status == 201)
            let answer = try second.json()
            #expect(answer["action"] as? String == "set")
            let node = try #require(answer["node"] as? [String: Any])
            let prev = try #require(answer["prevNode"] as? [String: Any])
            #expect(node["key"] as? String == "/istioTest")
            #expect(node["value"] as? String == "Testing Istio using NodePort")
            #expect(prev["key"] as? String == "/istioTest")
            #expect(prev["value"] as? String == "Testing Istio using Ingress")
            let modified = try #require(node["modifiedIndex"] as? Int)
            let prevModified = try #require(prev["modifiedIndex"] as? Int)
            #expect(modified > prevModified)
            if api == .v3 {
                #expect(node["createdIndex"] as? Int == prev["createdIndex"] as? Int)
            } else {
                // A v2 `set` replaces the node, so etcd gives it a new createdIndex.
                #expect(node["createdIndex"] as? Int == modified)
            }

            let got = try await ServiceHarness.call(http, port: port, .GET, "/storage/istioTest")
            #expect(got.status == 200)
            #expect(try got.json()["action"] as? String == "get")
            let gotNode = try #require(try got.json()["node"] as? [String: Any])
            #expect(gotNode["value"] as? String == "Testing Istio using NodePort")
            #expect(gotNode["modifiedIndex"] as? Int == modified)

            let live = try await ServiceHarness.call(http, port: port, .GET, "/")
            #expect(live.body == "Simple test for liveliness of the application!")

            let missing = try await ServiceHarness.call(http, port: port, .GET, "/storage/never-stored")
            #expect(missing.status == 404)
            #expect(missing.body == #"{"cause":"/never-stored","errorCode":100,"message":"Key not found"}"#)

            _ = try await ServiceHarness.call(http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("中文🔑", "你好 🌏"))
            let list = try await ServiceHarness.call(http, port: port, .GET, "/storage")
            let nodes = try #require((try list.json()["node"] as? [String: Any])?["nodes"] as? [[String: Any]])
            #expect(nodes.compactMap { $0["key"] as? String } == ["/istioTest", "/中文🔑"])
            let cjk = try await ServiceHarness.call(http, port: port, .GET, "/storage/%E4%B8%AD%E6%96%87%F0%9F%94%91")
            #expect((try cjk.json()["node"] as? [String: Any])?["value"] as? String == "你好 🌏")

            let deleted = try await ServiceHarness.call(http, port: port, .DELETE, "/storage/istioTest")
            #expect(deleted.status == 200)
            #expect((try deleted.json()["prevNode"] as? [String: Any])?["value"] as? String == "Testing Istio using NodePort")
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/storage/istioTest").status == 404)
            #expect(try await ServiceHarness.call(http, port: port, .DELETE, "/storage/istioTest").status == 404)
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/readyz").status == 200)
        }
    }

    @Test(arguments: apis)
    func etcdDownIs503AndRecovers(_ api: ServiceConfig.EtcdAPI) async throws {
        try await withService(api) { etcd, http, port in
            let body = ServiceHarness.putBody("survivor", "before")
            #expect(try await ServiceHarness.call(http, port: port, .PUT, "/storage", body: body).status == 201)

            etcd.stop()
            let down = try await ServiceHarness.call(http, port: port, .GET, "/storage/survivor")
            #expect(down.status == 503)
            #expect((try down.json()["error"] as? String)?.hasPrefix("etcd unavailable") == true)
            let write = try await ServiceHarness.call(http, port: port, .PUT, "/storage", body: body)
            #expect(write.status == 503)
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/readyz").status == 503)
            // The process is still serving what does not need etcd.
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/healthz").status == 200)

            try await etcd.start()
            let back = try await ServiceHarness.call(http, port: port, .GET, "/storage/survivor")
            #expect(back.status == 200)
            #expect((try back.json()["node"] as? [String: Any])?["value"] as? String == "before")
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/readyz").status == 200)
        }
    }

    @Test func frozenEtcdIs504() async throws {
        try await withService(.v3) { etcd, http, port in
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/storage/x").status == 404)
            etcd.freeze()
            defer { etcd.thaw() }
            let slow = try await ServiceHarness.call(http, port: port, .GET, "/storage/x")
            #expect(slow.status == 504)
            #expect((try slow.json()["error"] as? String)?.hasPrefix("etcd timed out") == true)
            etcd.thaw()
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/storage/x").status == 404)
        }
    }

    @Test func concurrentWritesAreAllDurable() async throws {
        try await withService(.v3) { _, http, port in
            let total = 2_000
            let clients = 32
            let acknowledged = try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in 0..<clients {
                    group.addTask {
                        var mine: [Int] = []
                        for n in stride(from: worker, to: total, by: clients) {
                            let reply = try await ServiceHarness.call(
                                http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("k\(n)", "value-\(n)"))
                            if reply.status == 201 { mine.append(n) }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(acknowledged.count == total)
            var mismatches: [Int] = []
            for n in acknowledged {
                let reply = try await ServiceHarness.call(http, port: port, .GET, "/storage/k\(n)")
                let value = (try? reply.json()["node"] as? [String: Any])?["value"] as? String
                if value != "value-\(n)" { mismatches.append(n) }
            }
            #expect(mismatches.isEmpty, "keys that did not read back: \(mismatches.prefix(10))")
            let list = try await ServiceHarness.call(http, port: port, .GET, "/storage")
            let nodes = (try list.json()["node"] as? [String: Any])?["nodes"] as? [[String: Any]]
            #expect(nodes?.count == total)
        }
    }

    @Test(arguments: apis)
    func accessLogPairsInboundAndOutboundByRequestID(_ api: ServiceConfig.EtcdAPI) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let requestID = "test-\(UUID().uuidString.lowercased())"
        try await withService(api, accessLog: path) { _, http, port in
            let reply = try await ServiceHarness.call(
                http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("logged", "yes"),
                headers: [("x-request-id", requestID), ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")])
            #expect(reply.status == 201)
            #expect(reply.headers["x-request-id"].first == requestID)
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { $0.contains(requestID) }
        #expect(lines.count == 2)
        let inbound = try #require(lines.first { $0.contains(" inbound|") })
        let outbound = try #require(lines.first { $0.contains(" outbound|") })
        #expect(inbound.contains(#""PUT /storage HTTP/1.1" 201 - via_upstream"#))
        #expect(inbound.range(of: #"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "#, options: .regularExpression) != nil)
        let expectedPath = api == .v3 ? "/v3/kv/put" : "/v2/keys/logged"
        #expect(outbound.contains(#"" \#(expectedPath) HTTP/1.1" "#) || outbound.contains(#" \#(expectedPath) HTTP/1.1""#))
        #expect(outbound.contains("outbound|"))
        #expect(outbound.contains(#""storage-service""#))
    }

    @Test(arguments: apis)
    func failsOverPastADeadEndpoint(_ api: ServiceConfig.EtcdAPI) async throws {
        try await withService(api, deadEndpointFirst: true) { _, http, port in
            for n in 0..<3 {
                let reply = try await ServiceHarness.call(
                    http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("failover", "try \(n)"))
                #expect(reply.status == 201)
            }
            let got = try await ServiceHarness.call(http, port: port, .GET, "/storage/failover")
            #expect((try got.json()["node"] as? [String: Any])?["value"] as? String == "try 2")
        }
    }

    @Test func oneMebibyteValueRoundTrips() async throws {
        try await withService(.v3) { _, http, port in
            let value = String(repeating: "0123456789abcdef", count: 65_536)
            let put = try await ServiceHarness.call(http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("large", value))
            #expect(put.status == 201, "\(put.body.prefix(200))")
            let got = try await ServiceHarness.call(http, port: port, .GET, "/storage/large")
            #expect((try got.json()["node"] as? [String: Any])?["value"] as? String == value)
        }
    }

    @Test func mutualTLSToEtcd() async throws {
        let etcd = try await EtcdServer(mutualTLS: true)
        let certificates = try #require(etcd.certificates)
        var config = ServiceHarness.config(etcd: etcd, api: .v3)
        config.etcdTLS = .init(caFile: certificates.ca, certFile: certificates.clientCert, keyFile: certificates.clientKey)
        var withoutClientCert = config
        withoutClientCert.etcdTLS = .init(caFile: certificates.ca)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { etcd.stop() }
        do {
            try await buildApplication(config).test(.live) { client in
                let port = try #require(client.port)
                let put = try await ServiceHarness.call(http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("tls", "mutual"))
                #expect(put.status == 201, "\(put.body)")
                let got = try await ServiceHarness.call(http, port: port, .GET, "/storage/tls")
                #expect((try got.json()["node"] as? [String: Any])?["value"] as? String == "mutual")
            }
            // etcd refuses a client without a certificate of its CA.
            try await buildApplication(withoutClientCert).test(.live) { client in
                let port = try #require(client.port)
                let refused = try await ServiceHarness.call(http, port: port, .GET, "/storage/tls")
                #expect(refused.status == 503, "\(refused.body)")
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
