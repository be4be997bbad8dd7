import Foundation

/// Probes every etcd member: the endpoints given, and every member the cluster lists.
/// Each endpoint has its own `HTTPSource`, so members are asked in parallel and a dead one
/// only costs its own timeout.
public actor EtcdProbe {
    public let endpoints: [String]
    public let tls: CurlTLS?
    private var sources: [String: HTTPSource] = [:]
    /// Members found in earlier member lists: asked too when the given endpoints are down.
    private var discovered: [String] = []
    private let decoder = JSONDecoder()

    public init(endpoints: [String], tls: CurlTLS? = nil) {
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.tls = tls
    }

    private func source(_ endpoint: String) -> HTTPSource {
        if let source = sources[endpoint] { return source }
        let made = HTTPSource(baseURL: endpoint, tls: tls)
        sources[endpoint] = made
        return made
    }

    public func observe() async -> EtcdObservation {
        // The member list from the first endpoint that gives one.
        var listed: [EtcdMemberListAnswer.Member] = []
        var listError: String?
        for endpoint in endpoints + discovered.filter({ !endpoints.contains($0) }) {
            do {
                let (response, _) = try await source(endpoint).send("POST", "/v3/cluster/member/list", body: Array("{}".utf8))
                guard response.status == 200 else { throw ProbeError("member list: HTTP \(response.status)") }
                listed = try decoder.decode(EtcdMemberListAnswer.self, from: Data(response.body)).members ?? []
                listError = nil
                break
            } catch {
                listError = "\(endpoint): \(Self.describe(error))"
            }
        }
        for url in listed.compactMap({ $0.clientURLs?.first }) where !discovered.contains(url) { discovered.append(url) }
        // One endpoint per member (its first client URL), plus given endpoints no member claims.
        var targets: [(endpoint: String, member: EtcdMemberListAnswer.Member?)] = []
        for member in listed {
            guard let url = member.clientURLs?.first else { continue }
            let given = endpoints.first { member.clientURLs?.contains($0) == true }
            targets.append((given ?? url, member))
        }
        for endpoint in endpoints where !targets.contains(where: { $0.endpoint == endpoint || $0.member?.clientURLs?.contains(endpoint) == true }) {
            targets.append((endpoint, nil))
        }
        let probes = targets.map { (source($0.endpoint), $0.member) }
        let decoder = self.decoder
        let members = await withTaskGroup(of: (Int, EtcdMemberStatus).self) { group in
            for (index, (source, member)) in probes.enumerated() {
                group.addTask { (index, await Self.probe(source, member: member, decoder: decoder)) }
            }
            var found: [(Int, EtcdMemberStatus)] = []
            for await result in group { found.append(result) }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let v2Source = members.first { $0.healthy == true }.map { source($0.endpoint) } ?? probes.first?.0
        var v2 = EtcdV2State.unreachable("no endpoint")
        if let v2Source { v2 = await Self.probeV2(v2Source) }
        return EtcdObservation(time: Date(), members: members, v2: v2, memberListError: listError)
    }

    private static func probe(
        _ source: HTTPSource, member: EtcdMemberListAnswer.Member?, decoder: JSONDecoder
    ) async -> EtcdMemberStatus {
        var status = EtcdMemberStatus(endpoint: source.baseURL)
        status.id = member?.ID?.value
        status.name = member?.name
        do {
            let (response, latency) = try await source.send("POST", "/v3/maintenance/status", body: Array("{}".utf8))
            status.latency = latency
            guard response.status == 200 else { throw ProbeError("status: HTTP \(response.status)") }
            let answer = try decoder.decode(EtcdStatusAnswer.self, from: Data(response.body))
            status.id = status.id ?? answer.header?.member_id?.value
            status.clusterID = answer.header?.cluster_id?.value
            status.revision = answer.header?.revision?.value
            status.raftTerm = answer.raftTerm?.value ?? answer.header?.raft_term?.value
            status.leader = answer.leader?.value
            status.raftIndex = answer.raftIndex?.value
            status.raftAppliedIndex = answer.raftAppliedIndex?.value
            status.dbSize = answer.dbSize?.value
            status.dbSizeInUse = answer.dbSizeInUse?.value
            status.version = answer.version
        } catch {
            status.healthy = false
            status.error = Self.describe(error)
            return status
        }
        do {
            let (response, _) = try await source.send("GET", "/health")
            let answer = try decoder.decode(EtcdHealthAnswer.self, from: Data(response.body))
            status.healthy = answer.health == "true"
            if status.healthy == false { status.error = answer.reason.map { "unhealthy: \($0)" } ?? "unhealthy" }
        } catch {
            status.healthy = false
            status.error = "health: \(Self.describe(error))"
        }
        if status.version == nil, let (response, _) = try? await source.send("GET", "/version"),
            let answer = try? decoder.decode(EtcdVersionAnswer.self, from: Data(response.body))
        {
            status.version = answer.etcdserver
        }
        return status
    }

    private static func probeV2(_ source: HTTPSource) async -> EtcdV2State {
        do {
            let (response, _) = try await source.send("GET", "/v2/keys/")
            guard let index = response.header("X-Etcd-Index").flatMap({ UInt64($0) }) else {
                // 404 from a 3.4 started without --enable-v2 or from 3.6: the API is off.
                return response.status == 404 ? .off : .unreachable("v2: HTTP \(response.status)")
            }
            return .on(
                index: index, raftIndex: response.header("X-Raft-Index").flatMap { UInt64($0) },
                raftTerm: response.header("X-Raft-Term").flatMap { UInt64($0) }, clusterID: response.header("X-Etcd-Cluster-Id"))
        } catch {
            return .unreachable(describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as CurlError: error.message
        case let error as ProbeError: error.message
        case is DecodingError: "answer is not etcd's JSON"
        default: "\(error)"
        }
    }
}

struct ProbeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
