/// etcd's member and cluster ids as etcdctl and etcd's own logs print them (lower-case hex,
/// no padding), so an id on the dashboard can be searched for in theirs.
public enum EtcdID {
    public static func text(_ id: UInt64) -> String { String(id, radix: 16) }
}
