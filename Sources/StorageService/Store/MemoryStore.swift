/// An in-process twin of etcd for router tests and for trying the UI without etcd.
/// Revisions count up per write as etcd's do, so responses have the same shape.
actor MemoryStore: EtcdStore {
    private var nodes: [String: StoredNode] = [:]
    private var revision: Int64 = 1

    init() {}

    func put(key: String, value: String, headers: MeshHeaders) throws(StoreError) -> PutResult {
        revision += 1
        let name = "/" + key
        let previous = nodes[name]
        let node = StoredNode(key: name, value: value, modifiedIndex: revision, createdIndex: previous?.createdIndex ?? revision)
        nodes[name] = node
        return PutResult(node: node, prevNode: previous)
    }

    func get(key: String, headers: MeshHeaders) throws(StoreError) -> StoredNode? {
        nodes["/" + key]
    }

    func list(headers: MeshHeaders) throws(StoreError) -> [StoredNode] {
        nodes.values.sorted { $0.key < $1.key }
    }

    func delete(key: String, headers: MeshHeaders) throws(StoreError) -> DeleteResult? {
        guard let previous = nodes.removeValue(forKey: "/" + key) else { return nil }
        revision += 1
        let node = StoredNode(key: previous.key, value: nil, modifiedIndex: revision, createdIndex: previous.createdIndex)
        return DeleteResult(node: node, prevNode: previous)
    }

    func ping(headers: MeshHeaders) throws(StoreError) {}
}
