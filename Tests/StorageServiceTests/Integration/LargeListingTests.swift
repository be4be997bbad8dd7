import AsyncHTTPClient
import Foundation
import Testing
import TestSupport

@testable import StorageService

/// Eight 1 MiB values, 8 MiB in all: more than one etcd answer may hold, yet `GET /storage`
/// lists them, against a real etcd through v3 (paged) and v2 (one larger answer).
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct LargeListingTests {
    @Test(arguments: [ServiceConfig.EtcdAPI.v3, .v2])
    func eightOneMebibyteValuesAreListed(_ api: ServiceConfig.EtcdAPI) async throws {
        let etcd = try await EtcdServer(enableV2: api == .v2)
        defer { etcd.stop() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await buildApplication(ServiceHarness.config(etcd: etcd, api: api)).test(.live) { client in
                let port = try #require(client.port)
                for n in 0..<8 {
                    let value = String(repeating: String(n), count: 1 << 20)
                    let put = try await ServiceHarness.call(
                        http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("big\(n)", value))
                    #expect(put.status == 201, "\(put.body.prefix(200))")
                }
                // Small keys around the large ones: pages grow again after them.
                for n in 0..<300 {
                    _ = try await ServiceHarness.call(http, port: port, .PUT, "/storage", body: ServiceHarness.putBody("small\(n)", "v\(n)"))
                }
                let list = try await ServiceHarness.call(http, port: port, .GET, "/storage", maxBytes: 64 << 20)
                #expect(list.status == 200, "\(list.body.prefix(300))")
                let nodes = try #require((try list.json()["node"] as? [String: Any])?["nodes"] as? [[String: Any]])
                #expect(nodes.count == 308)
                let big = nodes.filter { ($0["key"] as? String)?.hasPrefix("/big") == true }
                #expect(big.count == 8)
                for (n, node) in big.enumerated() {
                    #expect((node["value"] as? String) == String(repeating: String(n), count: 1 << 20), "value of big\(n)")
                }
                let keys = nodes.compactMap { $0["key"] as? String }
                #expect(keys == keys.sorted())
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Past its value budget a listing goes on with keys only: every key, bounded bytes.
    @Test func valuesPastTheBudgetAreListedWithoutThem() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let http = EtcdHTTP(
            endpoints: [try #require(EtcdEndpoint(etcd.clientURL))], timeout: .seconds(5), tls: nil, observer: nil)
        do {
            var store = EtcdV3Store(http: http)
            store.listValueBudget = 2 << 20
            let headers = MeshHeaders()
            for n in 0..<6 {
                _ = try await store.put(key: "big\(n)", value: String(repeating: "v", count: 1 << 20), headers: headers)
            }
            let nodes = try await store.list(headers: headers)
            #expect(nodes.map(\.key) == (0..<6).map { "/big\($0)" })
            let listed = nodes.prefix { $0.value != nil }.count
            #expect(listed >= 2 && listed < 6, "\(listed) values listed")
            #expect(nodes.dropFirst(listed).allSatisfy { $0.value == nil && $0.modifiedIndex > 0 })
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
