/// A key as the storage API shows it: etcd v2's node shape, which the original app returned.
struct StoredNode: Sendable, Equatable, Codable {
    var key: String
    var value: String?
    var modifiedIndex: Int64
    var createdIndex: Int64
}

struct PutResult: Sendable, Equatable {
    var node: StoredNode
    var prevNode: StoredNode?
}

struct DeleteResult: Sendable, Equatable {
    var node: StoredNode
    var prevNode: StoredNode
}

/// Where keys live. v3 and v2 talk to etcd; the memory store backs router tests and
/// `--etcd-api memory`. Every call carries the mesh headers to forward.
protocol EtcdStore: Sendable {
    func put(key: String, value: String, headers: MeshHeaders) async throws(StoreError) -> PutResult
    func get(key: String, headers: MeshHeaders) async throws(StoreError) -> StoredNode?
    func list(headers: MeshHeaders) async throws(StoreError) -> [StoredNode]
    func delete(key: String, headers: MeshHeaders) async throws(StoreError) -> DeleteResult?
    /// Succeeds when the backend answered within 1 s; used by /readyz.
    func ping(headers: MeshHeaders) async throws(StoreError)
}

/// Why the backend could not do what was asked, in the terms the HTTP layer maps to a status.
enum StoreError: Error, Equatable, CustomStringConvertible {
    /// No endpoint accepted a connection (503).
    case unavailable(String)
    /// An endpoint took longer than the per-call timeout (504).
    case timeout(String)
    /// etcd answered with an error of its own; `status` is the HTTP status to return.
    case rejected(status: Int, message: String)
    /// An answer was larger than the bytes the call may read (502).
    case answerTooLarge(limit: Int)

    var description: String {
        switch self {
        case .unavailable(let message): "etcd unavailable: \(message)"
        case .timeout(let message): "etcd timed out: \(message)"
        case .rejected(_, let message): "etcd error: \(message)"
        case .answerTooLarge(let limit): "etcd error: etcd answer larger than \(limit >> 20) MiB"
        }
    }
}
