#if canImport(Glibc)
import Glibc
#endif

/// `tail -F` for one file: follows appends, survives rotation (rename and a new file at the
/// same path) and truncation, and holds a partial last line until its newline arrives.
/// Not thread-safe: one reader polls it.
public final class FileFollower {
    public let path: String
    private var descriptor: Int32
    private var identity: (device: UInt64, inode: UInt64)
    private var offset: Int64 = 0
    private var partial: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 256 << 10)
    /// How many times the file was replaced or truncated, for the user to see.
    public private(set) var rotations = 0
    public private(set) var truncations = 0

    private let isStdin: Bool

    /// Opens the file (`-`: standard input); with `fromStart` false, reading begins at its current end.
    public init(path: String, fromStart: Bool) throws(LogSourceError) {
        self.path = path
        isStdin = path == "-"
        if isStdin {
            descriptor = STDIN_FILENO
            identity = (0, 0)
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LogSourceError(source: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else {
            close(fd)
            throw LogSourceError(source: path, reason: "is a directory")
        }
        descriptor = fd
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        if !fromStart { offset = Int64(lseek(fd, 0, SEEK_END)) }
    }

    deinit { if !isStdin { close(descriptor) } }

    /// Every complete line that arrived since the last call.
    public func poll() -> [[UInt8]] {
        var lines: [[UInt8]] = []
        if isStdin {
            readAvailable(into: &lines)
            return lines
        }
        var info = stat()
        if fstat(descriptor, &info) == 0, Int64(info.st_size) < offset {
            // Truncated in place (`> file`, copytruncate): start over from the top.
            truncations += 1
            offset = 0
            partial.removeAll()
            lseek(descriptor, 0, SEEK_SET)
        }
        readAvailable(into: &lines)
        var current = stat()
        if stat(path, &current) == 0, (UInt64(current.st_dev), UInt64(current.st_ino)) != identity {
            // Rotated: the old file is fully read above; a final line without newline is still a line.
            if !partial.isEmpty {
                lines.append(partial)
                partial.removeAll()
            }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                close(descriptor)
                descriptor = fd
                identity = (UInt64(current.st_dev), UInt64(current.st_ino))
                offset = 0
                rotations += 1
                readAvailable(into: &lines)
            }
        }
        return lines
    }

    private func readAvailable(into lines: inout [[UInt8]]) {
        while true {
            if isStdin {
                // A pipe or terminal would block read(2); take only what is there now.
                var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard Glibc.poll(&ready, 1, 0) > 0, ready.revents & Int16(POLLIN | POLLHUP) != 0 else { return }
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            offset += Int64(count)
            var start = 0
            for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                if partial.isEmpty {
                    lines.append(Array(chunk[start..<index]))
                } else {
                    partial.append(contentsOf: chunk[start..<index])
                    lines.append(partial)
                    partial.removeAll()
                }
                start = index + 1
            }
            if start < count { partial.append(contentsOf: chunk[start..<count]) }
        }
    }
}
