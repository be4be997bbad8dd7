import Collectors
import Foundation

@testable import MeshTop

/// A fixed moment of a small mesh: two edges, three etcd members (one lagging), and a few
/// request pairs — what the golden screens are drawn from.
enum ScreenFixture {
    static let now = Date(timeIntervalSince1970: 1_795_780_800)  // 2026-11-27 12:00:00 UTC

    static func edge(_ source: String, _ destination: String, service: String) -> EdgeKey {
        EdgeKey(
            sourceWorkload: source, sourceNamespace: "default", destinationWorkload: destination, destinationNamespace: "default",
            destinationService: service)
    }

    static let ingress = edge("istio-ingressgateway", "proxy-etcd-storage", service: "proxy-etcd-storage.default.svc.cluster.local")
    static let toEtcd = edge("proxy-etcd-storage", "etcd", service: "etcd-service.default.svc.cluster.local")

    static func snapshot() -> Snapshot {
        var sources: [Snapshot.Backend: BackendFreshness] = [:]
        for source in Snapshot.Backend.allCases {
            var state = BackendFreshness(configured: source != .kubernetes)
            if state.configured {
                state.ok = true
                state.latency = .milliseconds(12)
                state.lastSuccess = now
                state.lastAttempt = now
            }
            sources[source] = state
        }
        var first = EdgeStats(key: ingress)
        first.rps = 41.2
        first.successRate = 1
        first.p50 = 3
        first.p90 = 8
        first.p99 = 21
        first.codes = ["200": 41.2]
        var second = EdgeStats(key: toEtcd)
        second.rps = 41.0
        second.successRate = 0.998
        second.p50 = 1
        second.p90 = 3
        second.p99 = 9
        second.codes = ["201": 40.9, "503": 0.1]
        second.flags = ["-": 40.9, "UH": 0.1]
        var history = MeshHistory()
        for (index, rate) in [10.0, 20, 30, 35, 40, 41, 38, 33].enumerated() {
            history.append(ingress, time: Double(index), rps: rate)
            history.append(toEtcd, time: Double(index), rps: rate - 1)
        }
        return Snapshot(time: now, backends: sources, edges: [first, second], history: history, etcd: etcd())
    }

    static func member(_ name: String, id: UInt64, raft: UInt64, leader: UInt64 = 0xA1) -> EtcdMemberStatus {
        var member = EtcdMemberStatus(endpoint: "http://10.0.0.\(id & 0xF):2379")
        member.id = id
        member.name = name
        member.healthy = true
        member.clusterID = 0xCDF8_1819_4E3A_8C32
        member.revision = 15
        member.raftTerm = 2
        member.leader = leader
        member.raftIndex = raft
        member.raftAppliedIndex = raft
        member.dbSize = 20_480
        member.version = "3.4.23"
        return member
    }

    static func etcd() -> EtcdClusterView {
        var tracker = EtcdTracker()
        let members = [member("m1", id: 0xA1, raft: 15), member("m2", id: 0xB2, raft: 15), member("m3", id: 0xC3, raft: 14)]
        return tracker.update(EtcdObservation(time: now, members: members, v2: .on(index: 15, raftIndex: 15, raftTerm: 2, clusterID: nil)))
    }

    static func record(
        _ method: String, _ path: String, code: Int, duration: Int, id: String, inbound: Bool, authority: String,
        time: String, flags: String = "-"
    ) -> AccessLogRecord {
        var record = AccessLogRecord()
        record.startTime = "2026-11-27T16:28:\(time)Z"
        record.method = method
        record.path = path
        record.responseCode = code
        record.responseFlags = flags
        record.duration = duration
        record.requestID = id
        record.authority = authority
        record.downstreamLocalAddress = inbound ? "127.0.0.1:9080" : "10.0.0.9:41234"
        record.direction = inbound ? .inbound : .outbound
        record.origin = inbound ? "server.log" : "client.log"
        return record
    }

    static func feed() -> RequestFeed {
        let lines: [AccessLogRecord] = [
            record("PUT", "/v2/keys/istioTest", code: 201, duration: 6, id: "r1", inbound: false, authority: "etcd-service:2379", time: "24.640"),
            record("PUT", "/v2/keys/istioTest", code: 201, duration: 4, id: "r1", inbound: true, authority: "etcd-service:2379", time: "24.641"),
            record("GET", "/v2/keys/istioTest", code: 200, duration: 3, id: "r2", inbound: false, authority: "etcd-service:2379", time: "24.672"),
            record("GET", "/v2/keys/istioTest", code: 200, duration: 3, id: "r2", inbound: true, authority: "etcd-service:2379", time: "24.672"),
            record("GET", "/storage/missing", code: 503, duration: 1, id: "r3", inbound: true, authority: "proxy-etcd-storage:9080", time: "24.700", flags: "UH"),
        ]
        return RequestFeed(pairing: lines.map { ($0, "raw \($0.requestID ?? "") \($0.direction)") })
    }

    static func model() -> ScreenModel {
        var model = ScreenModel(snapshot: snapshot(), now: now)
        model.requests = feed()
        model.logSources = ["client.log", "server.log"]
        model.context = "minikube"
        model.namespace = "default"
        model.timeZone = TimeZone(identifier: "UTC")!
        return model
    }
}
