#if canImport(Glibc)
import Glibc
#endif

/// `tail -F` for one file: follows appends, survives rotation (rename and a new file at the
/// same path) and truncation, and holds a partial last line until its newline arrives.
/// Never blocks: a FIFO is opened and read with O_NONBLOCK (no writer yet, or its writer
/// gone, is `waitingForWriter`, not the end), stdin is read only when poll(2) says so, and
/// one poll reads at most `maxBytesPerPoll`, so a busy or stuck source cannot starve the
/// others read by the same thread.
/// Not thread-safe: one reader polls it.
public final class FileFollower {
    public let path: String
    /// Longer lines are skipped and counted in `overlongLines` (see `LineReader`).
    public let maxLineLength: Int
    public static let maxBytesPerPoll = 4 << 20
    private var descriptor: Int32
    private var identity: (device: UInt64, inode: UInt64)
    private var isRegular = true
    private var isFIFO = false
    private var offset: Int64 = 0
    private var partial: [UInt8] = []
    /// Inside an over-long line: bytes are dropped up to its newline.
    private var discarding = false
    private var chunk = [UInt8](repeating: 0, count: 256 << 10)
    /// The file's first bytes (up to `headLength`) as this follower read them. The offset
    /// alone misses a file truncated and rewritten past it between two polls; its head
    /// then differs, and it is read again from the start.
    private var head: [UInt8] = []
    private static let headLength = 512
    /// Size and modification time at the last head check: an idle file costs no read.
    private var checkedSize: Int64 = -1
    private var checkedModified = timespec()
    /// How many times the file was replaced or truncated, for the user to see.
    public private(set) var rotations = 0
    public private(set) var truncations = 0
    /// Lines longer than `maxLineLength`, skipped: malformed lines for the summary.
    public private(set) var overlongLines = 0
    /// A FIFO that no process has open for writing: nothing arrives until one does.
    public private(set) var waitingForWriter = false

    private let isStdin: Bool

    /// Opens the file (`-`: standard input); with `fromStart` false, reading begins at its current end.
    public init(path: String, fromStart: Bool, maxLineLength: Int = LineReader.defaultMaxLineLength) throws(LogSourceError) {
        self.path = path
        self.maxLineLength = max(1, maxLineLength)
        isStdin = path == "-"
        if isStdin {
            descriptor = STDIN_FILENO
            identity = (0, 0)
            isRegular = false
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw LogSourceError(source: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else {
            close(fd)
            throw LogSourceError(source: path, reason: "is a directory")
        }
        descriptor = fd
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        adopt(info)
        if isRegular, !fromStart {
            offset = Int64(lseek(fd, 0, SEEK_END))
            recordHead()
        }
    }

    deinit { if !isStdin { close(descriptor) } }

    /// What tells a reader that `poll` may have something: a pipe's descriptor (stdin, a
    /// FIFO with a writer), or changes to the file at `path` (a regular file, and a FIFO
    /// waiting for a writer, which poll(2) would report as hung up at once).
    public enum Readiness: Equatable, Sendable {
        case readable(Int32)
        case changes(String)
    }

    public var readiness: Readiness {
        isStdin || (isFIFO && !waitingForWriter) ? .readable(descriptor) : .changes(path)
    }

    /// Every complete line that arrived since the last call.
    public func poll() -> [[UInt8]] {
        var lines: [[UInt8]] = []
        if isStdin {
            _ = readAvailable(into: &lines)
            return lines
        }
        var info = stat()
        if isRegular, fstat(descriptor, &info) == 0, wasTruncated(info) {
            // Truncated in place (`> file`, copytruncate), perhaps already rewritten: from the top.
            truncations += 1
            offset = 0
            head.removeAll()
            partial.removeAll()
            discarding = false
            lseek(descriptor, 0, SEEK_SET)
        }
        let reachedEnd = readAvailable(into: &lines)
        if isRegular { recordHead() }
        var current = stat()
        if reachedEnd, stat(path, &current) == 0, (UInt64(current.st_dev), UInt64(current.st_ino)) != identity {
            // Rotated: the old file is fully read above; a final line without newline is still a line.
            if !partial.isEmpty {
                lines.append(partial)
                partial.removeAll()
            }
            discarding = false
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            if fd >= 0 {
                close(descriptor)
                descriptor = fd
                identity = (UInt64(current.st_dev), UInt64(current.st_ino))
                offset = 0
                head.removeAll()
                rotations += 1
                var opened = stat()
                if fstat(fd, &opened) == 0 { adopt(opened) }
                _ = readAvailable(into: &lines)
                if isRegular { recordHead() }
            }
        }
        return lines
    }

    /// Takes note of what kind of file is open: only a regular file has a size to compare.
    private func adopt(_ info: stat) {
        isRegular = (info.st_mode & S_IFMT) == S_IFREG
        isFIFO = (info.st_mode & S_IFMT) == S_IFIFO
        waitingForWriter = isFIFO
        checkedSize = -1
    }

    /// Shorter than what was read, or the same length or longer with other first bytes.
    private func wasTruncated(_ info: stat) -> Bool {
        let size = Int64(info.st_size)
        if size < offset { return true }
        guard !head.isEmpty, size != checkedSize || info.st_mtim.tv_sec != checkedModified.tv_sec
            || info.st_mtim.tv_nsec != checkedModified.tv_nsec
        else { return false }
        checkedSize = size
        checkedModified = info.st_mtim
        var now = [UInt8](repeating: 0, count: head.count)
        let count = now.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        return count != head.count || now != head
    }

    /// Keeps the first bytes read so far, until `headLength` of them are known.
    private func recordHead() {
        let wanted = Int(min(offset, Int64(Self.headLength)))
        guard head.count < wanted else { return }
        var bytes = [UInt8](repeating: 0, count: wanted)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        head = count > 0 ? Array(bytes[0..<count]) : []
        checkedSize = -1
    }

    /// Reads what is there now, at most `maxBytesPerPoll`; true when it reached the end.
    private func readAvailable(into lines: inout [[UInt8]]) -> Bool {
        var budget = Self.maxBytesPerPoll
        while budget > 0 {
            if isStdin {
                // A pipe or terminal would block read(2); take only what is there now.
                var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard Glibc.poll(&ready, 1, 0) > 0, ready.revents & Int16(POLLIN | POLLHUP) != 0 else { return true }
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                // EAGAIN: a FIFO with a writer and nothing written yet.
                if errno == EAGAIN { waitingForWriter = false }
                return true
            }
            if count == 0 {
                // The end of a file for now; for a FIFO, no writer (yet, or any more).
                if isFIFO { waitingForWriter = true }
                return true
            }
            waitingForWriter = false
            budget -= count
            offset += Int64(count)
            split(count, into: &lines)
        }
        return false
    }

    /// Cuts the first `count` bytes of the chunk into lines after what `partial` holds.
    private func split(_ count: Int, into lines: inout [[UInt8]]) {
        chunk.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            var start = 0
            while start < count, let hit = memchr(base + start, Int32(UInt8(ascii: "\n")), count - start) {
                let index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if discarding {
                    discarding = false
                } else if partial.count + index - start > maxLineLength {
                    overlongLines += 1
                    partial.removeAll()
                } else if partial.isEmpty {
                    lines.append(Array(bytes[start..<index]))
                } else {
                    partial.append(contentsOf: bytes[start..<index])
                    lines.append(partial)
                    partial.removeAll()
                }
                start = index + 1
            }
            guard start < count, !discarding else { return }
            if partial.count + count - start > maxLineLength {
                // Too long already: counted now, the rest dropped up to its newline.
                overlongLines += 1
                discarding = true
                partial.removeAll()
            } else {
                partial.append(contentsOf: bytes[start..<count])
            }
        }
    }
}
