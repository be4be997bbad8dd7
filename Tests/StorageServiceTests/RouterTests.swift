import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import StorageService

/// Every route and every input error, on the in-memory store.
@Suite struct RouterTests {
    private func app() throws -> some ApplicationProtocol {
        var config = ServiceConfig()
        config.etcdAPI = .memory
        config.host = "127.0.0.1"
        config.port = 0
        return try buildApplication(config)
    }

    private func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    private func put(_ client: some TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/storage", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
    }

    @Test func livenessSentence() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "Simple test for liveliness of the application!")
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
        }
    }

    @Test func putGetListDeleteHaveEtcdV2Shapes() async throws {
        try await app().test(.router) { client in
            let first = try await put(client, #"{"key": "istioTest", "value":"Testing Istio using Ingress"}"#)
            #expect(first.status == .created)
            let created = try json(first.body)
            #expect(created["action"] as? String == "set")
            #expect(created["prevNode"] == nil)

            let second = try await put(client, #"{"key": "istioTest", "value":"Testing Istio using NodePort"}"#)
            #expect(second.status == .created)
            let updated = try json(second.body)
            let node = try #require(updated["node"] as? [String: Any])
            let prev = try #require(updated["prevNode"] as? [String: Any])
            #expect(node["key"] as? String == "/istioTest")
            #expect(node["value"] as? String == "Testing Istio using NodePort")
            #expect(prev["value"] as? String == "Testing Istio using Ingress")
            #expect((node["modifiedIndex"] as? Int ?? 0) > (prev["modifiedIndex"] as? Int ?? 0))
            #expect(node["createdIndex"] as? Int == prev["createdIndex"] as? Int)
            #expect(String(buffer: second.body).contains(#""key":"/istioTest""#))

            let got = try await client.execute(uri: "/storage/istioTest", method: .get)
            #expect(got.status == .ok)
            let gotNode = try #require(try json(got.body)["node"] as? [String: Any])
            #expect(try json(got.body)["action"] as? String == "get")
            #expect(gotNode["value"] as? String == "Testing Istio using NodePort")

            _ = try await put(client, #"{"key": "alpha", "value":"first"}"#)
            let list = try await client.execute(uri: "/storage", method: .get)
            let dir = try #require(try json(list.body)["node"] as? [String: Any])
            #expect(dir["dir"] as? Bool == true)
            let keys = (dir["nodes"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
            #expect(keys == ["/alpha", "/istioTest"])

            let deleted = try await client.execute(uri: "/storage/istioTest", method: .delete)
            #expect(deleted.status == .ok)
            let deletion = try json(deleted.body)
            #expect(deletion["action"] as? String == "delete")
            #expect((deletion["prevNode"] as? [String: Any])?["value"] as? String == "Testing Istio using NodePort")
            #expect((deletion["node"] as? [String: Any])?["value"] == nil)

            let gone = try await client.execute(uri: "/storage/istioTest", method: .get)
            #expect(gone.status == .notFound)
            let error = try json(gone.body)
            #expect(error["errorCode"] as? Int == 100)
            #expect(error["message"] as? String == "Key not found")
            #expect(error["cause"] as? String == "/istioTest")
            let again = try await client.execute(uri: "/storage/istioTest", method: .delete)
            #expect(again.status == .notFound)
        }
    }

    @Test func chineseAndEmojiRoundTrip() async throws {
        try await app().test(.router) { client in
            let stored = try await put(client, #"{"key": "中文键🔑", "value":"你好，世界 🌏"}"#)
            #expect(stored.status == .created)
            let path = "/storage/" + "中文键🔑".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let got = try await client.execute(uri: path, method: .get)
            #expect(got.status == .ok)
            let node = try #require(try json(got.body)["node"] as? [String: Any])
            #expect(node["key"] as? String == "/中文键🔑")
            #expect(node["value"] as? String == "你好，世界 🌏")
        }
    }

    @Test(arguments: [
        ("not json", "body is not valid JSON"),
        (#"["key","value"]"#, "body must be a JSON object"),
        (#"{"value":"v"}"#, "missing field 'key'"),
        (#"{"key":"k"}"#, "missing field 'value'"),
        (#"{"key":7,"value":"v"}"#, "field 'key' must be a string"),
        (#"{"key":"k","value":{"a":1}}"#, "field 'value' must be a string"),
        (#"{"key":"","value":"v"}"#, "key must not be empty"),
        (#"{"key":"a/b","value":"v"}"#, "key must not contain '/'"),
        (#"{"key":"a\u001bb","value":"v"}"#, "key must not contain control characters"),
        (#"{"key":"a\nb","value":"v"}"#, "key must not contain control characters"),
    ])
    func badPutsAre400WithAReason(_ body: String, _ reason: String) async throws {
        try await app().test(.router) { client in
            let response = try await put(client, body)
            #expect(response.status == .badRequest)
            let message = try json(response.body)["error"] as? String
            #expect(message?.hasPrefix(reason) == true, "got \(message ?? "nil")")
        }
    }

    @Test func keyLengthLimitIs256Bytes() async throws {
        try await app().test(.router) { client in
            let ok = try await put(client, #"{"key":"\#(String(repeating: "k", count: 256))","value":"v"}"#)
            #expect(ok.status == .created)
            // 86 three-byte characters are 258 bytes.
            let long = try await put(client, #"{"key":"\#(String(repeating: "中", count: 86))","value":"v"}"#)
            #expect(long.status == .badRequest)
            let path = try await client.execute(uri: "/storage/" + String(repeating: "k", count: 257), method: .get)
            #expect(path.status == .badRequest)
        }
    }

    @Test func oversizedValuesAndBodiesAre413() async throws {
        try await app().test(.router) { client in
            let limit = String(repeating: "v", count: 1 << 20)
            let atLimit = try await put(client, #"{"key":"big","value":"\#(limit)"}"#)
            #expect(atLimit.status == .created)
            let overValue = try await put(client, #"{"key":"big","value":"\#(limit)x"}"#)
            #expect(overValue.status == .contentTooLarge)
            #expect(try json(overValue.body)["error"] as? String == "value is 1048577 bytes; the limit is 1 MiB")
            let overBody = try await put(client, #"{"key":"big","value":"\#(String(repeating: "v", count: 1_600_000))"}"#)
            #expect(overBody.status == .contentTooLarge)
            #expect(try json(overBody.body)["error"] as? String == "request body is larger than 1.5 MiB")
        }
    }

    @Test func encodedSlashInAPathKeyIs400() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/storage/a%2Fb", method: .get)
            #expect(response.status == .badRequest)
            let invalid = try await client.execute(uri: "/storage/%FF", method: .get)
            #expect(invalid.status == .badRequest)
        }
    }

    @Test func unknownRoutesAreJSON404s() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/nothing/here", method: .get)
            #expect(response.status == .notFound)
            #expect(try json(response.body)["error"] as? String == "no such route")
        }
    }

    @Test func requestIDIsEchoedOrCreated() async throws {
        try await app().test(.router) { client in
            let given = try await client.execute(
                uri: "/", method: .get, headers: [HTTPField.Name("x-request-id")!: "abc-123"])
            #expect(given.headers[HTTPField.Name("x-request-id")!] == "abc-123")
            let fresh = try await client.execute(uri: "/", method: .get)
            let id = try #require(fresh.headers[HTTPField.Name("x-request-id")!])
            #expect(UUID(uuidString: id) != nil)
        }
    }

    @Test func probesAndMetrics() async throws {
        try await app().test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            _ = try await put(client, #"{"key":"m","value":"v"}"#)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            #expect(metrics.status == .ok)
            #expect(text.contains(#"storage_http_requests_total{route="/storage",method="PUT",status="201"} 1"#))
            #expect(text.contains("storage_http_request_duration_seconds_bucket"))
            #expect(!text.contains("istio_requests_total"))
        }
    }

    @Test func istioMetricsWhenAsked() async throws {
        var config = ServiceConfig()
        config.etcdAPI = .memory
        config.istioMetrics = true
        try await buildApplication(config).test(.router) { client in
            _ = try await client.execute(uri: "/storage/missing", method: .get)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains("istio_requests_total{reporter=\"destination\",source_workload=\"unknown\""))
            #expect(text.contains(#"response_code="404""#))
            #expect(text.contains(#"istio_request_duration_milliseconds_bucket{"#))
            #expect(text.contains(#"le="0.5"}"#) && text.contains(#"le="3600000.0"}"#))
        }
    }

    @Test func istioMetricsNameTheCallerItsProxySaid() async throws {
        var config = ServiceConfig()
        config.etcdAPI = .memory
        config.istioMetrics = true
        config.identity.workload = "proxy-etcd-storage"
        try await buildApplication(config).test(.router) { client in
            let peer = "router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local"
            _ = try await client.execute(uri: "/storage/missing", method: .get, headers: [PeerIdentity.headerName: peer])
            _ = try await client.execute(uri: "/storage/missing", method: .get, headers: [PeerIdentity.headerName: "not~a~node\u{1b}"])
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{") }
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.contains { $0.contains(#"source_workload="istio-ingressgateway",source_workload_namespace="istio-system""#) })
            #expect(lines.contains { $0.contains(#"source_workload="unknown",source_workload_namespace="unknown""#) })
            #expect(lines.allSatisfy { $0.contains(#"destination_workload="proxy-etcd-storage""#) })
            #expect(lines.allSatisfy { $0.contains(#"destination_service="proxy-etcd-storage.default.svc.cluster.local""#) })
        }
    }

    @Test func webUIIsOneSelfContainedPage() async throws {
        try await app().test(.router) { client in
            let script = try await client.execute(uri: "/web/app.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(String(buffer: script.body).contains("textContent"))
            #expect(!String(buffer: script.body).contains("innerHTML"))
            #expect(try await client.execute(uri: "/web/app.css", method: .get).status == .ok)
            for path in ["/web", "/web/"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("<title>storage-service</title>"))
                #expect(page.contains(#"<script src="/web/app.js"></script>"#))
                #expect(!page.contains("<script>") && !page.contains("<style>"))
                #expect(!page.contains("src=\"http") && !page.contains("href=\"http"))
                let policy = try #require(response.headers[.contentSecurityPolicy])
                for directive in [
                    "default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                    "form-action 'self'",
                ] {
                    #expect(policy.contains(directive), "\(policy)")
                }
                #expect(!policy.contains("unsafe-inline"))
            }
        }
    }

    @Test func headAnswersEveryGetRouteWithoutABody() async throws {
        try await app().test(.router) { client in
            for path in ["/", "/healthz", "/storage", "/web", "/metrics"] {
                let get = try await client.execute(uri: path, method: .get)
                let head = try await client.execute(uri: path, method: .head)
                #expect(head.status == get.status, "\(path)")
                #expect(head.body.readableBytes == 0, "\(path)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(path)")
                if path != "/metrics" {
                    #expect(head.headers[.contentLength] == get.headers[.contentLength], "\(path)")
                }
            }
        }
    }
}
