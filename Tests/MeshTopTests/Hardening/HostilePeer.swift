import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A peer that answers like etcd's JSON gateway and Prometheus's API, with whatever the
/// test puts in the answers: escape sequences in names, members with gopher and file URLs,
/// non-finite numbers, oversized bodies. Real etcd and Prometheus refuse to say most of
/// this, which is why it is a stand-in; it counts what meshtop asked of it.
final class HostilePeer: @unchecked Sendable {
    /// Guards `asked`: requests come on the server's event loops.
    private let lock = NSLock()
    private var asked: [String] = []

    var memberName = "m1"
    /// Client URLs of extra members (beyond the peer itself) in the member list.
    var extraMembers: [[String]] = []
    /// The value of every histogram bucket; the request rate is 1.
    var bucketValue = "1"
    var promLabels: [String: String] = [
        "source_workload": "load", "source_workload_namespace": "default", "destination_workload": "storage",
        "destination_workload_namespace": "default", "destination_service": "storage.default.svc.cluster.local",
        "response_code": "200",
    ]
    var promWarnings: [String] = []
    /// Bytes of padding in every Prometheus answer (a huge answer).
    var promPadding = 0

    /// Set by the test once the server listens: the member list hands out URLs on it.
    var port = 0

    var requests: [String] { lock.withLock { asked } }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.middlewares.add(Recorder(peer: self))
        router.post("/v3/cluster/member/list") { _, _ in self.memberList() }
        router.post("/v3/maintenance/status") { _, _ in self.status() }
        router.get("/health") { _, _ in json(#"{"health":"true"}"#) }
        router.get("/version") { _, _ in json(#"{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}"#) }
        // Members of the long list live under a path of their own on the same port.
        router.post("/:member/v3/maintenance/status") { _, _ in self.status() }
        router.post("/:member/v3/cluster/member/list") { _, _ in self.memberList() }
        router.get("/:member/health") { _, _ in json(#"{"health":"true"}"#) }
        router.get("/-/ready") { _, _ in "Prometheus Server is Ready." }
        router.post("/api/v1/query") { request, _ in
            var request = request
            let form = String(buffer: try await request.collectBody(upTo: 1 << 20))
            return self.vector(buckets: form.contains("bucket"))
        }
        router.post("/api/v1/query_range") { _, _ in json(#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#) }
        router.get("/api/v1/targets") { _, _ in json(#"{"status":"success","data":{"activeTargets":[]}}"#) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func memberList() -> Response {
        var members = [member(id: 2, name: memberName, urls: ["http://127.0.0.1:\(port)"])]
        for (index, urls) in extraMembers.enumerated() { members.append(member(id: 100 + index, name: "x\(index)", urls: urls)) }
        return json(#"{"header":{"cluster_id":"1","member_id":"2","raft_term":"2"},"members":[\#(members.joined(separator: ","))]}"#)
    }

    private func member(id: Int, name: String, urls: [String]) -> String {
        let object: [String: Any] = ["ID": String(id), "name": name, "peerURLs": ["http://127.0.0.1:1"], "clientURLs": urls]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    private func status() -> Response {
        json(
            #"{"header":{"cluster_id":"1","member_id":"2","revision":"5","raft_term":"2"},"version":"3.4.23","dbSize":"20480","leader":"2","raftIndex":"10","raftTerm":"2","raftAppliedIndex":"10","dbSizeInUse":"20480"}"#
        )
    }

    /// Encoded answers by kind: a 3 MiB answer is made once, not four times a poll.
    private var answers: [Bool: ByteBuffer] = [:]

    private func vector(buckets: Bool) -> Response {
        let body = lock.withLock {
            if let made = answers[buckets] { return made }
            let made = ByteBuffer(bytes: encodedVector(buckets: buckets))
            answers[buckets] = made
            return made
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    private func encodedVector(buckets: Bool) -> Data {
        let series: [[String: Any]] =
            buckets
            ? ["10", "+Inf"].map { le in ["metric": promLabels.merging(["le": le]) { $1 }, "value": [1_700_000_000.0, bucketValue]] }
            : [["metric": promLabels, "value": [1_700_000_000.0, "1"]]]
        let object: [String: Any] = [
            "status": "success", "warnings": promWarnings, "padding": String(repeating: " ", count: promPadding),
            "data": ["resultType": "vector", "result": series],
        ]
        return try! JSONSerialization.data(withJSONObject: object)
    }

    fileprivate func record(_ path: String) { lock.withLock { asked.append(path) } }

    private struct Recorder: RouterMiddleware {
        let peer: HostilePeer
        func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response)
            async throws -> Response
        {
            peer.record(request.uri.path)
            return try await next(request, context)
        }
    }
}

private func json(_ text: String) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}
