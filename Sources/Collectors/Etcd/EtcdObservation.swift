import Foundation

/// What one member said in one probe; nil where it did not answer.
public struct EtcdMemberStatus: Sendable, Equatable {
    public var endpoint: String
    public var id: UInt64?
    public var name: String?
    public var version: String?
    public var healthy: Bool?
    /// Why the member is not healthy, or why it could not be asked.
    public var error: String?
    public var clusterID: UInt64?
    public var revision: UInt64?
    public var raftTerm: UInt64?
    public var leader: UInt64?
    public var raftIndex: UInt64?
    public var raftAppliedIndex: UInt64?
    public var dbSize: UInt64?
    public var dbSizeInUse: UInt64?
    public var latency: Duration?

    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    public var isLeader: Bool { id != nil && id == leader }
}

/// The v2 API as seen through `GET /v2/keys/`'s headers.
public enum EtcdV2State: Sendable, Equatable {
    case on(index: UInt64, raftIndex: UInt64?, raftTerm: UInt64?, clusterID: String?)
    /// etcd 3.4 without `--enable-v2`, or 3.6: not an error.
    case off
    case unreachable(String)
}

/// One probe of the whole cluster.
public struct EtcdObservation: Sendable, Equatable {
    public var time: Date
    public var members: [EtcdMemberStatus]
    public var v2: EtcdV2State
    /// Why the member list could not be read (the configured endpoints are still probed).
    public var memberListError: String?

    public init(time: Date, members: [EtcdMemberStatus], v2: EtcdV2State, memberListError: String? = nil) {
        self.time = time
        self.members = members
        self.v2 = v2
        self.memberListError = memberListError
    }
}
