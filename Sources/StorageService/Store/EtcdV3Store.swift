import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1

/// Keys in etcd's v3 key space through its JSON gateway (etcd 3.4–3.6). A key `k` is stored
/// as `/k`, so the node key is the etcd key itself and a list is one prefix range.
struct EtcdV3Store: EtcdStore {
    let http: EtcdHTTP
    /// Values a listing carries; keys after them are listed without their value, so that
    /// one `GET /storage` stays bounded however much is stored.
    var listValueBudget = 64 << 20

    private struct KeyValue: Decodable {
        var key: String?
        var value: String?
        var create_revision: String?
        var mod_revision: String?
    }

    private struct Header: Decodable {
        var revision: String?
    }

    private struct Answer: Decodable {
        var header: Header?
        var kvs: [KeyValue]?
        var prev_kv: KeyValue?
        var prev_kvs: [KeyValue]?
        var more: Bool?
        var error: String?
        var message: String?
        var code: Int?
    }

    /// Keys asked for in one page of a listing while values are small.
    static let pageKeys = 256
    /// The bytes a page is sized to, well under `EtcdHTTP.maxAnswerBytes`.
    static let pageBudget = 6 << 20
    /// Keys asked for in one page once values are no longer listed (about 350 bytes each).
    static let keysOnlyPageKeys = 1000

    func put(key: String, value: String, headers: MeshHeaders) async throws(StoreError) -> PutResult {
        let name = "/" + key
        let answer = try await call(
            "put", "/v3/kv/put", #"{"key":"\#(Self.base64(name))","value":"\#(Self.base64(value))","prev_kv":true}"#,
            headers)
        let revision = Int64(answer.header?.revision ?? "") ?? 0
        let previous = answer.prev_kv.flatMap(Self.node)
        let node = StoredNode(
            key: name, value: value, modifiedIndex: revision, createdIndex: previous?.createdIndex ?? revision)
        return PutResult(node: node, prevNode: previous)
    }

    func get(key: String, headers: MeshHeaders) async throws(StoreError) -> StoredNode? {
        let answer = try await call("get", "/v3/kv/range", #"{"key":"\#(Self.base64("/" + key))"}"#, headers)
        return answer.kvs?.first.flatMap(Self.node)
    }

    /// Every key, in pages so that no answer outgrows the 8 MiB a call may read: a page asks
    /// for as many keys as the last page's bytes per key say fit in 6 MiB (256 at most), and
    /// one that still overflows is asked again for 3. Every page reads the revision of the
    /// first, so the list is one snapshot of the key space. Past `listValueBudget` bytes of
    /// values, pages are keys only and those nodes have no value.
    func list(headers: MeshHeaders) async throws(StoreError) -> [StoredNode] {
        var nodes: [StoredNode] = []
        var valueBytes = 0
        var keysOnly = false
        // "/" to "0" (the byte after '/') is every key that starts with '/'.
        var start = Data("/".utf8)
        var limit = Self.pageKeys
        var revision: String?
        while true {
            let pinned = (revision.map { #","revision":"\#($0)""# } ?? "") + (keysOnly ? #","keys_only":true"# : "")
            let body =
                #"{"key":"\#(start.base64EncodedString())","range_end":"\#(Self.base64("0"))","limit":\#(limit)\#(pinned),"sort_order":"ASCEND","sort_target":"KEY"}"#
            let page: (answer: Answer, bytes: Int)
            do {
                page = try await callMeasured("list", "/v3/kv/range", body, headers)
            } catch .answerTooLarge(let maximum) {
                guard limit > 3 else { throw .answerTooLarge(limit: maximum) }
                limit = 3
                continue
            }
            let kvs = page.answer.kvs ?? []
            for kv in kvs {
                guard var node = Self.node(kv) else { continue }
                if keysOnly { node.value = nil }
                valueBytes += node.value?.utf8.count ?? 0
                nodes.append(node)
            }
            keysOnly = keysOnly || valueBytes >= listValueBudget
            revision = revision ?? page.answer.header?.revision
            guard page.answer.more == true, let last = kvs.last?.key.flatMap({ Data(base64Encoded: $0) }) else {
                return nodes
            }
            start = last + [0]
            let perKey = max(1, page.bytes / max(1, kvs.count))
            limit = keysOnly ? Self.keysOnlyPageKeys : min(Self.pageKeys, max(1, Self.pageBudget / perKey))
        }
    }

    func delete(key: String, headers: MeshHeaders) async throws(StoreError) -> DeleteResult? {
        let name = "/" + key
        let answer = try await call(
            "delete", "/v3/kv/deleterange", #"{"key":"\#(Self.base64(name))","prev_kv":true}"#, headers)
        guard let previous = answer.prev_kvs?.first.flatMap(Self.node) else { return nil }
        let revision = Int64(answer.header?.revision ?? "") ?? previous.modifiedIndex
        let node = StoredNode(key: name, value: nil, modifiedIndex: revision, createdIndex: previous.createdIndex)
        return DeleteResult(node: node, prevNode: previous)
    }

    func ping(headers: MeshHeaders) async throws(StoreError) {
        _ = try await call("status", "/v3/maintenance/status", "{}", headers, timeout: .seconds(1))
    }

    private func call(
        _ operation: String, _ path: String, _ body: String, _ headers: MeshHeaders, timeout: Duration? = nil
    ) async throws(StoreError) -> Answer {
        try await callMeasured(operation, path, body, headers, timeout: timeout).answer
    }

    /// The answer and its size in bytes.
    private func callMeasured(
        _ operation: String, _ path: String, _ body: String, _ headers: MeshHeaders, timeout: Duration? = nil
    ) async throws(StoreError) -> (answer: Answer, bytes: Int) {
        // Bodies are written by hand: every field is base64, a number or a constant, so nothing needs escaping.
        let reply = try await http.send(
            operation: operation, method: .POST, path: path, body: Array(body.utf8), contentType: "application/json",
            headers: headers, timeout: timeout)
        let answer: Answer
        do {
            answer = try JSONDecoder().decode(Answer.self, from: Data(buffer: reply.body))
        } catch {
            throw .rejected(status: 502, message: "etcd answered \(reply.status) with a body that is not JSON")
        }
        guard (200..<300).contains(reply.status) else {
            let message = answer.message ?? answer.error ?? "HTTP \(reply.status)"
            throw .rejected(status: Self.status(forGRPCCode: answer.code, httpStatus: reply.status), message: message)
        }
        return (answer, reply.body.readableBytes)
    }

    /// The gateway reports gRPC codes; the HTTP status a caller of this service should see.
    static func status(forGRPCCode code: Int?, httpStatus: Int) -> Int {
        switch code {
        case 3: 400  // InvalidArgument, e.g. "request is too large"
        case 4: 504  // DeadlineExceeded
        case 8: 507  // ResourceExhausted, e.g. "database space exceeded"
        case 14: 503  // Unavailable, e.g. no leader
        default: httpStatus == 503 ? 503 : 502
        }
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    private static func decode(_ base64: String?) -> String? {
        guard let base64, let data = Data(base64Encoded: base64) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func node(_ kv: KeyValue) -> StoredNode? {
        guard let key = decode(kv.key) else { return nil }
        return StoredNode(
            key: key, value: decode(kv.value) ?? "", modifiedIndex: Int64(kv.mod_revision ?? "") ?? 0,
            createdIndex: Int64(kv.create_revision ?? "") ?? 0)
    }
}
