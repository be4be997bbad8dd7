import Collectors
import Foundation
import Testing

@Suite struct EtcdTrackerTests {
    private func member(_ id: UInt64, cluster: UInt64 = 7, leader: UInt64 = 1, term: UInt64 = 2, index: UInt64 = 10, revision: UInt64 = 5)
        -> EtcdMemberStatus
    {
        var status = EtcdMemberStatus(endpoint: "http://127.0.0.1:\(2379 + id)")
        status.id = id
        status.healthy = true
        status.clusterID = cluster
        status.leader = leader
        status.raftTerm = term
        status.raftIndex = index
        status.revision = revision
        return status
    }

    @Test func ratesElectionsSpreadAndMismatch() {
        var tracker = EtcdTracker()
        let start = Date(timeIntervalSince1970: 1_000)
        let first = tracker.update(
            EtcdObservation(
                time: start, members: [member(1, index: 10), member(2, index: 8), member(3, index: 10)],
                v2: .on(index: 100, raftIndex: nil, raftTerm: nil, clusterID: nil)))
        #expect(first.leader == 1)
        #expect(first.clusterID == 7 && !first.clusterIDMismatch)
        #expect(first.raftLag == 2)
        #expect(first.revisionRate == nil)
        #expect(first.elections == 0)
        // Two seconds later: 40 more revisions, a new leader in a higher term, one member
        // from another cluster, and the v2 index moved by 10.
        let second = tracker.update(
            EtcdObservation(
                time: start.addingTimeInterval(2),
                members: [member(1, leader: 3, term: 3, index: 30, revision: 45), member(3, leader: 3, term: 3, index: 31, revision: 45),
                          member(9, cluster: 8, leader: 3, term: 3, index: 31, revision: 45)],
                v2: .on(index: 110, raftIndex: nil, raftTerm: nil, clusterID: nil)))
        #expect(second.revisionRate == 20)
        #expect(second.v2IndexRate == 5)
        #expect(second.leader == 3)
        #expect(second.elections == 1)
        #expect(second.raftTerm == 3)
        #expect(second.clusterID == 7)
        #expect(second.clusterIDMismatch && second.clusterIDs == [7, 8])
        #expect(second.raftLag == 1)
    }

    @Test func aDeadMemberFailsItsCheckAndTheRestStillCount() {
        var tracker = EtcdTracker()
        var dead = EtcdMemberStatus(endpoint: "http://127.0.0.1:1")
        dead.healthy = false
        dead.error = "couldn't connect to server"
        let view = tracker.update(EtcdObservation(time: Date(), members: [member(1), member(2), dead], v2: .off))
        let checks = HealthEvaluator.etcd(view, error: nil, configured: true, thresholds: HealthThresholds())
        #expect(checks.filter { $0.status == .fail }.map(\.name) == ["etcd member http://127.0.0.1:1"])
        #expect(checks.first { $0.name == "etcd leader" }?.status == .ok)
        #expect(view.v2 == .off)
    }
}
