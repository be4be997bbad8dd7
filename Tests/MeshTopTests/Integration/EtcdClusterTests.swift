import Collectors
import Foundation
import TestSupport
import Testing

/// A real three-member etcd 3.4 cluster: what meshtop sees of it, and of members dying.
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct EtcdClusterTests {
    private func put(_ endpoint: String, _ key: String, _ value: String) async throws {
        let body = #"{"key":"\#(Data(key.utf8).base64EncodedString())","value":"\#(Data(value.utf8).base64EncodedString())"}"#
        let response = try await OffPool.run {
            try CurlEasy().perform(CurlRequest(url: endpoint + "/v3/kv/put", method: "POST", body: Array(body.utf8)))
        }
        #expect(response.status == 200)
    }

    private func view(_ poller: Poller) async throws -> EtcdClusterView {
        await poller.pollOnce()
        return try #require(await poller.snapshot().etcd)
    }

    @Test func membersLeaderRevisionAndFailures() async throws {
        let cluster = try await EtcdCluster(size: 3)
        defer { cluster.stopAll() }
        var config = PollerConfig()
        // One endpoint given: the other two are found through the member list.
        config.etcd = EtcdProbe(endpoints: [cluster.clientURLs[0]])
        let poller = Poller(config)

        let first = try await view(poller)
        #expect(first.members.count == 3)
        #expect(Set(first.members.map(\.endpoint)) == Set(cluster.clientURLs))
        #expect(first.members.filter(\.isLeader).count == 1)
        #expect(first.members.allSatisfy { $0.healthy == true && $0.version == "3.4.23" })
        #expect(first.clusterIDs.count == 1 && first.clusterID != nil)
        #expect(first.v2 == .off)
        let revision = try #require(first.revision)
        for n in 0..<10 { try await put(cluster.clientURLs[n % 3], "k\(n)", "v\(n)") }
        let second = try await view(poller)
        #expect(second.revision == revision + 10)
        #expect((second.revisionRate ?? 0) > 0)

        // A follower dies: its check fails, the others still answer.
        let leaderID = try #require(second.leader)
        let follower = try #require(cluster.members.first { server in
            second.members.first { $0.endpoint == server.clientURL }?.id != leaderID
        })
        follower.stop()
        let third = try await view(poller)
        let dead = try #require(third.members.first { $0.endpoint == follower.clientURL })
        #expect(dead.healthy == false && dead.error != nil)
        #expect(third.members.filter { $0.healthy == true }.count == 2)
        #expect(third.leader == leaderID)
        let health = await poller.snapshot().health
        #expect(health.filter { $0.status == .fail }.map(\.name) == ["etcd member \(dead.name ?? dead.endpoint)"])

        let run = try await BinaryRun.run("meshtop", ["health", "--json", "--etcd", cluster.clientURLs.joined(separator: ",")])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let report = try run.json()
        #expect(report["healthy"] as? Bool == false)
        let snapshotRun = try await BinaryRun.run("meshtop", ["snapshot", "--etcd", cluster.clientURLs[0]])
        #expect(snapshotRun.status == 0)
        #expect(snapshotRun.stdout.contains("DOWN") && snapshotRun.stdout.contains("leader"))

        // The follower comes back, then the leader dies: a new leader in a higher term.
        try await follower.start()
        let term = try #require(try await view(poller).raftTerm)
        let leader = try #require(cluster.members.first { server in
            third.members.first { $0.endpoint == server.clientURL }?.id == leaderID
        })
        leader.stop()
        var latest = try await view(poller)
        try await Tool.waitUntil("a new leader", within: 15) {
            latest = try await view(poller)
            return latest.leader != nil && latest.leader != leaderID
        }
        #expect((latest.raftTerm ?? 0) > term)
        #expect(latest.elections >= 1)
        #expect(latest.members.first { $0.id == leaderID }?.healthy == false)
    }
}
