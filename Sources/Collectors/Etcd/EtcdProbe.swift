import Foundation

/// Probes every etcd member: the endpoints given, and every member the cluster lists.
/// Each endpoint has its own `CurlHTTPClient`, so members are asked in parallel and a dead one
/// only costs its own timeout.
public actor EtcdProbe {
    public nonisolated let endpoints: [String]
    public let tls: CurlTLS?
    private var clients: [String: CurlHTTPClient] = [:]
    /// Members found in earlier member lists: asked too when the given endpoints are down.
    private var discovered: [String] = []
    private let decoder = JSONDecoder()

    /// Whether members are found through the member list. Off behind a port-forward: the
    /// members' own URLs are inside the cluster, out of reach.
    public let discover: Bool

    /// Members probed at most, beyond the given endpoints: a member list is a peer's answer,
    /// and 250 members must not mean 250 probes a poll. etcd advises 7 at most.
    public let maxMembers: Int
    public static let defaultMaxMembers = 16

    /// What the last member list held that is not probed, said in the panel's header.
    private var skipped = EtcdObservation.Skipped()

    public let maxResponseBytes: Int
    /// Hears every exchange with every member (`meshtop --record`).
    public let tap: ExchangeTap?
    /// Answers from a recording (`snapshot --from`).
    public let replay: ExchangeReplay?

    public init(
        endpoints: [String], tls: CurlTLS? = nil, discover: Bool = true, maxMembers: Int = EtcdProbe.defaultMaxMembers,
        maxResponseBytes: Int = CurlRequest.defaultMaxResponseBytes, tap: ExchangeTap? = nil, replay: ExchangeReplay? = nil
    ) {
        self.maxResponseBytes = maxResponseBytes
        self.tap = tap
        self.replay = replay
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.tls = tls
        self.discover = discover
        self.maxMembers = maxMembers
    }

    private func client(_ endpoint: String) -> CurlHTTPClient {
        if let client = clients[endpoint] { return client }
        let made = CurlHTTPClient(baseURL: endpoint, tls: tls, maxResponseBytes: maxResponseBytes, tap: tap, replay: replay)
        clients[endpoint] = made
        return made
    }

    /// The members to probe, from the last member list (or the given endpoints).
    private var known: [Target] = []

    struct Target: Sendable {
        var endpoint: String
        var member: EtcdMemberListAnswer.Member?
    }

    /// The first probe lists the members, then asks each; later probes ask the members
    /// known so far while the list is read again, so a poll costs one round trip.
    /// `clock` stamps the observation (a replay's is the recording's).
    public func observe(clock: any PollClock = WallClock()) async -> EtcdObservation {
        guard !known.isEmpty else {
            let (listed, listError) = await memberList()
            known = targets(from: listed)
            let (members, v2) = await probe(known)
            return EtcdObservation(time: clock.now(), members: members, v2: v2, memberListError: listError, skipped: skipped)
        }
        let current = known
        async let listing = memberList()
        var (members, v2) = await probe(current)
        let (listed, listError) = await listing
        if !listed.isEmpty {
            let fresh = targets(from: listed)
            known = fresh
            let joined = fresh.filter { target in !current.contains { $0.endpoint == target.endpoint } }
            if !joined.isEmpty { members += await probe(joined).members }
            members = members.filter { member in fresh.contains { $0.endpoint == member.endpoint } }
        }
        return EtcdObservation(time: clock.now(), members: members, v2: v2, memberListError: listError, skipped: skipped)
    }

    /// The member list from the first endpoint that gives one: the given ones, then the
    /// members seen before (when the given ones are down).
    private func memberList() async -> ([EtcdMemberListAnswer.Member], String?) {
        guard discover else { return ([], nil) }
        var listError: String?
        for endpoint in endpoints + discovered.filter({ !endpoints.contains($0) }) {
            do {
                let (response, _) = try await client(endpoint).send("POST", "/v3/cluster/member/list", body: Array("{}".utf8))
                guard response.status == 200 else { throw ProbeError("member list: HTTP \(response.status)") }
                let listed = try decoder.decode(EtcdMemberListAnswer.self, from: Data(response.body)).members ?? []
                for url in listed.compactMap(Self.clientURL).prefix(maxMembers) where !discovered.contains(url) {
                    discovered.append(url)
                }
                if discovered.count > maxMembers { discovered.removeFirst(discovered.count - maxMembers) }
                return (listed, nil)
            } catch {
                listError = "\(endpoint): \(Self.describe(error))"
            }
        }
        return ([], listError)
    }

    /// One endpoint per member (a given one when it names the member, else its first client
    /// URL), plus given endpoints no member claims.
    /// Members whose URLs are not http(s) are not asked (they are counted), and past
    /// `maxMembers` the rest of the list is not asked either; the given endpoints always are.
    private func targets(from listed: [EtcdMemberListAnswer.Member]) -> [Target] {
        var given: [Target] = []
        var others: [Target] = []
        var notHTTP = 0
        for member in listed {
            guard let urls = member.clientURLs, !urls.isEmpty else { continue }  // not started yet
            if let endpoint = endpoints.first(where: { urls.contains($0) }) {
                given.append(Target(endpoint: endpoint, member: member))
            } else if let url = Self.clientURL(member) {
                others.append(Target(endpoint: url, member: member))
            } else {
                notHTTP += 1
            }
        }
        let room = max(0, maxMembers - given.count)
        skipped = EtcdObservation.Skipped(overLimit: max(0, others.count - room), notHTTP: notHTTP, limit: maxMembers)
        var targets = given + others.prefix(room)
        for endpoint in endpoints where !targets.contains(where: { $0.endpoint == endpoint || $0.member?.clientURLs?.contains(endpoint) == true }) {
            targets.append(Target(endpoint: endpoint, member: nil))
        }
        return targets
    }

    /// A member's first http or https client URL: another scheme is never followed.
    static func clientURL(_ member: EtcdMemberListAnswer.Member) -> String? {
        member.clientURLs?.first { url in
            let lowered = url.lowercased()
            return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
        }
    }

    /// Every target and the v2 API at once.
    private func probe(_ targets: [Target]) async -> (members: [EtcdMemberStatus], v2: EtcdV2State) {
        let probes = targets.map { (client($0.endpoint), $0.member) }
        let decoder = self.decoder
        let first = probes.first?.0
        async let v2: EtcdV2State = first == nil ? .unreachable("no endpoint") : await Self.probeV2(first!)
        let members = await withTaskGroup(of: (Int, EtcdMemberStatus).self) { group in
            for (index, (client, member)) in probes.enumerated() {
                group.addTask { (index, await Self.probe(client, member: member, decoder: decoder)) }
            }
            var found: [(Int, EtcdMemberStatus)] = []
            for await result in group { found.append(result) }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return (members, await v2)
    }

    private static func probe(
        _ client: CurlHTTPClient, member: EtcdMemberListAnswer.Member?, decoder: JSONDecoder
    ) async -> EtcdMemberStatus {
        var status = EtcdMemberStatus(endpoint: client.baseURL)
        status.id = member?.ID?.value
        status.name = member?.name
        async let healthAnswer = client.send("GET", "/health")
        do {
            let (response, latency) = try await client.send("POST", "/v3/maintenance/status", body: Array("{}".utf8))
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
            _ = try? await healthAnswer
            status.healthy = false
            status.error = Self.describe(error)
            return status
        }
        do {
            let (response, _) = try await healthAnswer
            let answer = try decoder.decode(EtcdHealthAnswer.self, from: Data(response.body))
            status.healthy = answer.health == "true"
            if status.healthy == false {
                status.error = answer.reason.map { "unhealthy: " + ControlBytes.sanitize($0, limit: 200) } ?? "unhealthy"
            }
        } catch {
            status.healthy = false
            status.error = "health: \(Self.describe(error))"
        }
        if status.version == nil, let (response, _) = try? await client.send("GET", "/version"),
            let answer = try? decoder.decode(EtcdVersionAnswer.self, from: Data(response.body))
        {
            status.version = answer.etcdserver
        }
        return status
    }

    private static func probeV2(_ client: CurlHTTPClient) async -> EtcdV2State {
        do {
            let (response, _) = try await client.send("GET", "/v2/keys/")
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
