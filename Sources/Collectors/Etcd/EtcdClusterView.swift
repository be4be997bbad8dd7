import Foundation

/// The cluster as the dashboard shows it: the latest probe and what follows from the
/// probes before it (rates, elections seen).
public struct EtcdClusterView: Sendable, Equatable {
    public var members: [EtcdMemberStatus]
    /// The cluster id most members report; `clusterIDs` has more than one on a mismatch.
    public var clusterID: UInt64?
    public var clusterIDs: [UInt64]
    public var leader: UInt64?
    public var revision: UInt64?
    /// Revisions per second between the last two probes.
    public var revisionRate: Double?
    public var raftTerm: UInt64?
    /// Term changes seen since meshtop started: each is an election.
    public var elections: Int
    /// Highest minus lowest raft index among the members that answered: how far the slowest
    /// member is behind. Reported as `raft_spread` in JSON, the key it has always had.
    public var raftLag: UInt64?
    public var v2: EtcdV2State
    public var v2IndexRate: Double?
    public var memberListError: String?
    /// Members of the list that were not probed (over the limit, or not http).
    public var skipped = EtcdObservation.Skipped()

    public var clusterIDMismatch: Bool { clusterIDs.count > 1 }
    public var v2Index: UInt64? { if case .on(let index, _, _, _) = v2 { index } else { nil } }
}

/// Turns successive probes into views: pure, the probes come in, the view goes out.
public struct EtcdTracker: Sendable {
    private var previous: EtcdObservation?
    private var previousView: EtcdClusterView?
    private var elections = 0

    public init() {}

    public mutating func update(_ observation: EtcdObservation) -> EtcdClusterView {
        let answered = observation.members.filter { $0.raftIndex != nil }
        var votes: [UInt64: Int] = [:]
        for member in observation.members { if let id = member.clusterID { votes[id, default: 0] += 1 } }
        let clusterIDs = votes.keys.sorted()
        let clusterID = votes.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
        var leaders: [UInt64: Int] = [:]
        for member in answered { if let leader = member.leader, leader != 0 { leaders[leader, default: 0] += 1 } }
        let leader = leaders.max { $0.value < $1.value }?.key
        let revision = answered.compactMap(\.revision).max()
        let term = answered.compactMap(\.raftTerm).max()
        if let term, let before = previousView?.raftTerm, term > before { elections += 1 }
        let indexes = answered.compactMap(\.raftIndex)
        var view = EtcdClusterView(
            members: observation.members, clusterID: clusterID, clusterIDs: clusterIDs, leader: leader,
            revision: revision, revisionRate: nil, raftTerm: term ?? previousView?.raftTerm, elections: elections,
            raftLag: indexes.isEmpty ? nil : indexes.max()! - indexes.min()!, v2: observation.v2, v2IndexRate: nil,
            memberListError: observation.memberListError, skipped: observation.skipped)
        if let previous, let before = previousView {
            let seconds = observation.time.timeIntervalSince(previous.time)
            if seconds > 0 {
                if let now = revision, let then = before.revision, now >= then { view.revisionRate = Double(now - then) / seconds }
                if let now = view.v2Index, let then = before.v2Index, now >= then { view.v2IndexRate = Double(now - then) / seconds }
            }
        }
        previous = observation
        previousView = view
        return view
    }
}
