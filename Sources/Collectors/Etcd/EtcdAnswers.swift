import Foundation

/// A 64-bit id or counter from etcd's JSON gateway, which writes them as strings (and
/// older or newer versions as numbers). Read exactly: never through Double.
struct EtcdUInt64: Decodable, Sendable {
    let value: UInt64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = UInt64(text) {
            self.value = value
        } else {
            value = try container.decode(UInt64.self)
        }
    }
}

/// `POST /v3/maintenance/status`.
struct EtcdStatusAnswer: Decodable {
    struct Header: Decodable {
        var cluster_id: EtcdUInt64?
        var member_id: EtcdUInt64?
        var revision: EtcdUInt64?
        var raft_term: EtcdUInt64?
    }

    var header: Header?
    var version: String?
    var dbSize: EtcdUInt64?
    var dbSizeInUse: EtcdUInt64?
    var leader: EtcdUInt64?
    var raftIndex: EtcdUInt64?
    var raftTerm: EtcdUInt64?
    var raftAppliedIndex: EtcdUInt64?
    var errors: [String]?
}

/// `POST /v3/cluster/member/list`.
struct EtcdMemberListAnswer: Decodable {
    struct Member: Decodable {
        var ID: EtcdUInt64?
        var name: String?
        var peerURLs: [String]?
        var clientURLs: [String]?
    }

    var header: EtcdStatusAnswer.Header?
    var members: [Member]?
}

/// `GET /health`: `{"health":"true"}` (3.4 adds `"reason"` in later releases).
struct EtcdHealthAnswer: Decodable {
    var health: String
    var reason: String?
}

/// `GET /version`: `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`.
struct EtcdVersionAnswer: Decodable {
    var etcdserver: String?
    var etcdcluster: String?
}
