import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whole access-log files read once into records in log-time order, each record's `origin`
/// its file: for the analyses that need every line of a stretch of time at once (a ramp's
/// steps, the ledger of `snapshot` and `health`), not a stream.
public enum LogFileRecords {
    /// At most this much of the files is read (about 1.5 M lines).
    public static let maxBytes = 512 << 20

    /// - Parameters:
    ///   - offsets: where to start in each file (where it ended before); a file shorter than
    ///     its offset now (rotated, truncated) is read from its start. Nil: from the start.
    ///   - keep: which records to keep (a time window), before they are held.
    /// - Returns: the records, and whether the byte bound cut the reading short. A file that
    ///   cannot be opened is skipped: the callers checked them up front.
    public static func read(
        _ paths: [String], from offsets: [Int]? = nil, maxBytes: Int = maxBytes, keep: (AccessLogRecord) -> Bool = { _ in true }
    ) -> (records: [AccessLogRecord], truncated: Bool) {
        var records: [AccessLogRecord] = []
        var budget = maxBytes
        for (index, path) in paths.enumerated() where budget > 0 {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let offset = offsets?[index] ?? 0
            var info = stat()
            let from = fstat(fd, &info) == 0 && Int(info.st_size) >= offset ? offset : 0
            guard lseek(fd, off_t(from), SEEK_SET) >= 0 else {
                close(fd)
                continue
            }
            let reader = LineReader(name: path, descriptor: fd)
            var decoder = AccessLogDecoder()
            while budget > 0, let line = try? reader.nextLine() {
                budget -= line.count + 1
                guard var record = decoder.decode(bytes: line) else { continue }
                record.origin = path
                if keep(record) { records.append(record) }
            }
        }
        // One log-time order across the files, as `logs` merges them.
        records.sort { ($0.pairingTime ?? 0) < ($1.pairingTime ?? 0) }
        return (records, budget <= 0)
    }
}
