import TestSupport
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1

@testable import StorageService

/// Helpers shared by the integration tests: a config pointed at a test etcd, and
/// AsyncHTTPClient calls against the live service's port.
enum ServiceHarness {
    static func config(etcd: EtcdServer, api: ServiceConfig.EtcdAPI, accessLog: String? = nil) -> ServiceConfig {
        var config = ServiceConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.etcdEndpoints = [etcd.clientURL]
        config.etcdAPI = api
        config.accessLog = accessLog.map { .file($0) }
        config.logLevel = .warning
        return config
    }

    struct Reply {
        var status: Int
        var body: String
        var headers: HTTPHeaders

        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(body)")
            }
            return object
        }
    }

    static func call(
        _ http: HTTPClient, port: Int, _ method: HTTPMethod, _ path: String, body: String? = nil,
        headers: [(String, String)] = [], maxBytes: Int = 4 << 20
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: maxBytes)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes), headers: response.headers)
    }

    static func putBody(_ key: String, _ value: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: ["key": key, "value": value])
        return String(decoding: data, as: UTF8.self)
    }
}
