#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-terminated lines from a file descriptor in large blocks. A last line
/// without a newline is returned at end of input; `-` means standard input.
///
/// A line is handed out as a view into the reader's buffer, valid until the next call,
/// so reading a line copies nothing.
public final class LineReader {
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 20
    /// Bytes `start..<filled` of the buffer are read and not yet handed out.
    private var start = 0
    private var filled = 0
    private var atEnd = false
    /// A longer run without a newline is handed out in pieces (each then a malformed
    /// line) rather than held in memory whole.
    public static let maxLineLength = 4 << 20

    /// Opens a file (or stdin for "-"); the error says why it cannot be read.
    public init(path: String) throws(LogSourceError) {
        name = path
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw LogSourceError(source: path, reason: String(cString: strerror(errno))) }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw LogSourceError(source: path, reason: "is a directory")
            }
            descriptor = fd
            ownsDescriptor = true
        }
        buffer = .allocate(capacity: capacity)
    }

    /// Reads an open descriptor (a pipe from kubectl) and closes it when done.
    public init(name: String, descriptor: Int32) {
        self.name = name
        self.descriptor = descriptor
        ownsDescriptor = true
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its newline, or nil at end of input; valid until the next call.
    public func nextLine() throws(LogSourceError) -> UnsafeBufferPointer<UInt8>? {
        // Locals first: each access to a class's stored property is checked at run time.
        let lineStart = start
        let base = buffer
        let available = filled
        if let hit = memchr(base + lineStart, Int32(UInt8(ascii: "\n")), available - lineStart) {
            let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            start = newline + 1
            return UnsafeBufferPointer(start: base + lineStart, count: newline - lineStart)
        }
        return try nextLineAfterFilling()
    }

    private func nextLineAfterFilling() throws(LogSourceError) -> UnsafeBufferPointer<UInt8>? {
        var searched = filled
        while true {
            if atEnd {
                guard start < filled else { return nil }
                return take(upTo: filled, skipping: 0)
            }
            if filled - start >= Self.maxLineLength { return take(upTo: filled, skipping: 0) }
            searched -= start
            try fill()
            if let hit = memchr(buffer + searched, Int32(UInt8(ascii: "\n")), filled - searched) {
                return take(upTo: buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self)), skipping: 1)
            }
            searched = filled
        }
    }

    private func take(upTo end: Int, skipping: Int) -> UnsafeBufferPointer<UInt8> {
        let line = UnsafeBufferPointer(start: buffer + start, count: end - start)
        start = end + skipping
        return line
    }

    /// Moves the unread bytes to the front, grows the buffer when a line fills it, reads more.
    private func fill() throws(LogSourceError) {
        if start > 0 {
            if filled > start { memmove(buffer, buffer + start, filled - start) }
            filled -= start
            start = 0
        }
        if filled == capacity {
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            grown.update(from: buffer, count: filled)
            buffer.deallocate()
            buffer = grown
            capacity *= 2
        }
        let count = read(descriptor, buffer + filled, capacity - filled)
        if count < 0 {
            if errno == EINTR { return }
            throw LogSourceError(source: name, reason: String(cString: strerror(errno)))
        }
        if count == 0 { atEnd = true }
        filled += count
    }
}

public struct LogSourceError: Error, CustomStringConvertible, Sendable {
    public let source: String
    public let reason: String
    public var description: String { "cannot read \(source): \(reason.lowercased())" }
}
