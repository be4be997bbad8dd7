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
    public var skipped: Skipped

    /// Members of the list that were not probed.
    public struct Skipped: Sendable, Equatable {
        /// Past the probe's limit of members.
        public var overLimit = 0
        /// With no http or https client URL.
        public var notHTTP = 0
        public var limit = 0

        public init(overLimit: Int = 0, notHTTP: Int = 0, limit: Int = 0) {
            self.overLimit = overLimit
            self.notHTTP = notHTTP
            self.limit = limit
        }

        public var count: Int { overLimit + notHTTP }

        /// "234 members not probed (limit 16); 2 without an http(s) URL", or nil.
        public var note: String? {
            var parts: [String] = []
            if overLimit > 0 { parts.append("\(overLimit) member\(overLimit == 1 ? "" : "s") not probed (limit \(limit))") }
            if notHTTP > 0 { parts.append("\(notHTTP) without an http(s) URL skipped") }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }
    }

    public init(
        time: Date, members: [EtcdMemberStatus], v2: EtcdV2State, memberListError: String? = nil, skipped: Skipped = Skipped()
    ) {
        self.time = time
        self.members = members
        self.v2 = v2
        self.memberListError = memberListError
        self.skipped = skipped
    }
}
