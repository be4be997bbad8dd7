import Collectors
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The proxies' access logs of a ramp (`load --ramp --logs FILE…`): where each file ended
/// when the ramp began, and afterwards what they logged since, paired and split hop by hop
/// (`HopTimes`), one `HopTable` a step by each request's start time.
///
/// Files are read after the ramp, not followed during it: a step's figures need every line
/// of its requests, which proxies write when a request ends and flush on their own schedule.
final class RampLogs: Sendable {
    let paths: [String]
    private let offsets: [Int]
    /// The load's own lines as the steps send them (`keep`), up to `maxOwnBytes`.
    private let own = Mutex((records: [AccessLogRecord](), bytes: 0, truncated: false))

    init(paths: [String]) throws(LoadRampError) {
        self.paths = paths
        var offsets: [Int] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else { throw LoadRampError("\(path): \(String(cString: strerror(errno)))") }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw LoadRampError("\(path): is not a regular file") }
            offsets.append(Int(info.st_size))
        }
        self.offsets = offsets
    }

    /// Keeps one of the load's own lines for `steps`.
    static let maxOwnBytes = 128 << 20

    func keep(_ record: AccessLogRecord) {
        own.withLock { own in
            guard own.bytes + record.pairingBytes <= Self.maxOwnBytes else {
                own.truncated = true
                return
            }
            own.bytes += record.pairingBytes
            own.records.append(record)
        }
    }

    private func sizes() -> [Int] {
        paths.map { path in
            var info = stat()
            return stat(path, &info) == 0 ? Int(info.st_size) : 0
        }
    }

    /// Waits until no file has grown for `quiet` (the proxies have flushed the ramp's last
    /// lines), `limit` at most.
    func settle(quiet: Duration, limit: Duration = .seconds(30)) {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var last = sizes()
        var since = clock.now
        while clock.now < deadline, clock.now - since < quiet {
            Thread.sleep(forTimeInterval: 0.1)  // polling a file's size; nothing to wait on
            let now = sizes()
            if now != last {
                last = now
                since = clock.now
            }
        }
    }

    /// Per step, the requests that started in it: step i runs from `starts[i]` to the next
    /// step's start (the last to `end`), in milliseconds since 1970; their hops (`tables`),
    /// and their lines counted for the step's telemetry ledger (`ledgers`, with `loadAuthority`
    /// where the load sends). Lines a format does not read are skipped, as `logs` counts them;
    /// `truncated` says whether the byte bound cut the reading short.
    /// The load's own lines kept (`keep`) are paired with the first proxy's: the load's hop,
    /// its queue in the load's own time.
    func steps(starts: [Int64], end: Int64, loadAuthority: String) -> (tables: [HopTable], ledgers: [LedgerLines], truncated: Bool) {
        var (records, truncated) = LogFileRecords.read(paths, from: offsets)
        let kept = own.withLock { $0 }
        if !kept.records.isEmpty {
            records += kept.records
            records.sort { ($0.pairingTime ?? 0) < ($1.pairingTime ?? 0) }
        }
        truncated = truncated || kept.truncated
        var pairer = RequestPairer(window: .seconds(10), chainsOfOne: true)
        var tables = [HopTable](repeating: HopTable(), count: starts.count)
        var ledgers = [LedgerLines](repeating: LedgerLines(loadAuthority: loadAuthority), count: starts.count)
        func step(_ time: Int64?) -> Int? {
            guard let time, time >= (starts.first ?? .max), time <= end else { return nil }
            return (starts.lastIndex { $0 <= time }) ?? 0
        }
        func take(_ events: [PairingEvent]) {
            for event in events {
                switch event {
                case .chain(let chain):
                    if let index = step(chain.hops.first?.client.pairingTime) { tables[index].add(HopTimes(chain.hops)) }
                case .paired(let pair):
                    if let index = step(pair.client.pairingTime) { ledgers[index].addPaired(pair) }
                case .waiting, .alone: break
                }
            }
        }
        for record in records {
            if let index = step(record.pairingTime) { ledgers[index].add(record) }
            take(pairer.add(record))
        }
        take(pairer.flush())
        return (tables, ledgers, truncated)
    }
}
