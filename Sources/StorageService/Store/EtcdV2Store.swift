import Collectors
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1

/// Keys through etcd's v2 keys API, the original app's API (etcd 3.4/3.5 with --enable-v2).
struct EtcdV2Store: EtcdStore {
    let http: EtcdHTTP

    private struct Node: Decodable {
        var key: String?
        var value: String?
        var dir: Bool?
        var modifiedIndex: Int64?
        var createdIndex: Int64?
        var nodes: [Node]?
    }

    private struct Answer: Decodable {
        var action: String?
        var node: Node?
        var prevNode: Node?
        var errorCode: Int?
        var message: String?
        var cause: String?
    }

    func put(key: String, value: String, headers: MeshHeaders) async throws(StoreError) -> PutResult {
        let body = Array(("value=" + PercentEncoding.encode(value)).utf8)
        guard let answer = try await call("put", .PUT, Self.path(key), body, headers), let node = answer.node.flatMap(Self.node)
        else { throw .rejected(status: 502, message: "etcd answered a write without a node") }
        return PutResult(node: node, prevNode: answer.prevNode.flatMap(Self.node))
    }

    func get(key: String, headers: MeshHeaders) async throws(StoreError) -> StoredNode? {
        try await call("get", .GET, Self.path(key), nil, headers)?.node.flatMap(Self.node)
    }

    /// The v2 keys API has no paging: the whole directory is one answer, so a listing may
    /// read more than other calls (32 MiB, some twenty 1 MiB values); beyond that it is a 502
    /// that says so, and the v3 API, which pages, is the way out.
    static let maxListBytes = 32 << 20

    func list(headers: MeshHeaders) async throws(StoreError) -> [StoredNode] {
        let answer = try await call("list", .GET, "/v2/keys/?sorted=true", nil, headers, maxAnswerBytes: Self.maxListBytes)
        return (answer?.node?.nodes ?? []).filter { $0.dir != true }.compactMap(Self.node)
    }

    func delete(key: String, headers: MeshHeaders) async throws(StoreError) -> DeleteResult? {
        guard let answer = try await call("delete", .DELETE, Self.path(key), nil, headers),
            let node = answer.node.flatMap(Self.node), let previous = answer.prevNode.flatMap(Self.node)
        else { return nil }
        return DeleteResult(node: StoredNode(key: node.key, value: nil, modifiedIndex: node.modifiedIndex, createdIndex: node.createdIndex), prevNode: previous)
    }

    func ping(headers: MeshHeaders) async throws(StoreError) {
        let reply = try await http.send(
            operation: "status", method: .GET, path: "/v2/stats/self", body: nil, contentType: "", headers: headers,
            timeout: .seconds(1))
        guard reply.status == 200 else {
            throw .rejected(status: 503, message: "v2 API answered \(reply.status); is etcd started with --enable-v2?")
        }
    }

    /// nil when etcd says the key does not exist (errorCode 100).
    private func call(
        _ operation: String, _ method: HTTPMethod, _ path: String, _ body: [UInt8]?, _ headers: MeshHeaders,
        maxAnswerBytes: Int = EtcdHTTP.maxAnswerBytes
    ) async throws(StoreError) -> Answer? {
        let reply = try await http.send(
            operation: operation, method: method, path: path, body: body,
            contentType: "application/x-www-form-urlencoded", headers: headers, maxAnswerBytes: maxAnswerBytes)
        let answer: Answer
        do {
            answer = try JSONDecoder().decode(Answer.self, from: Data(buffer: reply.body))
        } catch {
            if reply.status == 404 {
                throw .rejected(status: 503, message: "etcd has no v2 API here; start it with --enable-v2")
            }
            throw .rejected(status: 502, message: "etcd answered \(reply.status) with a body that is not JSON")
        }
        if answer.errorCode == 100 { return nil }
        guard (200..<300).contains(reply.status), answer.errorCode == nil else {
            let message = answer.message.map { m in answer.cause.map { "\(m) (\($0))" } ?? m } ?? "HTTP \(reply.status)"
            throw .rejected(status: reply.status >= 500 ? 502 : 400, message: message)
        }
        return answer
    }

    private static func path(_ key: String) -> String {
        "/v2/keys/" + PercentEncoding.encode(key)
    }

    private static func node(_ node: Node) -> StoredNode? {
        guard let key = node.key else { return nil }
        return StoredNode(
            key: key, value: node.value, modifiedIndex: node.modifiedIndex ?? 0, createdIndex: node.createdIndex ?? 0)
    }
}
