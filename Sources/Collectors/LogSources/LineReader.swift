#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-terminated lines from a file descriptor in large blocks. A last line
/// without a newline is returned at end of input; `-` means standard input. Memory is
/// bounded: a line longer than `maxLineLength` is skipped and counted, never buffered.
///
/// A line is handed out as a view into the reader's buffer, valid until the next call,
/// so reading a line copies nothing.
public final class LineReader {
    public let name: String
    /// A longer line is skipped (up to its newline) and counted in `overlongLines`, never
    /// held whole: one runaway line must not take the memory of a million ordinary ones.
    public let maxLineLength: Int
    /// 64 KiB: Envoy refuses requests whose headers pass 60 KiB (its default
    /// `max_request_headers_kb`), so an access-log line of a request it served fits.
    public static let defaultMaxLineLength = 64 << 10
    /// Lines longer than `maxLineLength`, skipped: malformed lines for the summary.
    public private(set) var overlongLines = 0
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 18
    /// Bytes `start..<filled` of the buffer are read and not yet handed out.
    private var start = 0
    private var filled = 0
    private var atEnd = false
    /// Inside an over-long line: what is read is dropped up to its newline.
    private var discarding = false

    private enum Filled {
        case line(UnsafeBufferPointer<UInt8>)
        case skipped
        case end
    }

    /// Opens a file (or stdin for "-"); the error says why it cannot be read.
    public init(path: String, maxLineLength: Int = defaultMaxLineLength) throws(LogSourceError) {
        name = path
        self.maxLineLength = max(1, maxLineLength)
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
        } else {
            // Opened without blocking, so a FIFO with no writer cannot hang open(2); reads
            // then block as usual (a FIFO whose writers are gone reads as its end).
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw LogSourceError(source: path, reason: String(cString: strerror(errno))) }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw LogSourceError(source: path, reason: "is a directory")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            descriptor = fd
            ownsDescriptor = true
        }
        buffer = .allocate(capacity: capacity)
    }

    /// Reads an open descriptor (a pipe from kubectl) and closes it when done.
    public init(name: String, descriptor: Int32, maxLineLength: Int = defaultMaxLineLength) {
        self.name = name
        self.descriptor = descriptor
        self.maxLineLength = max(1, maxLineLength)
        ownsDescriptor = true
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its newline, or nil at end of input; valid until the next call.
    public func nextLine() throws(LogSourceError) -> UnsafeBufferPointer<UInt8>? {
        while true {
            // Locals first: each access to a class's stored property is checked at run time.
            let lineStart = start
            let base = buffer
            let available = filled
            if let hit = memchr(base + lineStart, Int32(UInt8(ascii: "\n")), available - lineStart) {
                let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                start = newline + 1
                if newline - lineStart <= maxLineLength {
                    return UnsafeBufferPointer(start: base + lineStart, count: newline - lineStart)
                }
                overlongLines += 1
                continue
            }
            switch try nextLineAfterFilling() {
            case .line(let line): return line
            case .skipped: continue
            case .end: return nil
            }
        }
    }

    /// Reads until a newline, the end of input, or a line too long to keep.
    private func nextLineAfterFilling() throws(LogSourceError) -> Filled {
        // At the top of the loop no newline is among the buffered bytes `start..<filled`.
        while true {
            if filled - start > maxLineLength {
                // Too long already: let go of it, counted once, and drop the rest to its newline.
                if !discarding { overlongLines += 1 }
                discarding = true
                start = filled
            }
            if atEnd {
                discarding = false
                guard start < filled else { return .end }
                return .line(take(upTo: filled, skipping: 0))
            }
            let searched = filled - start
            try fill()
            guard let hit = memchr(buffer + searched, Int32(UInt8(ascii: "\n")), filled - searched) else { continue }
            let newline = buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if discarding || newline - start > maxLineLength {
                if !discarding { overlongLines += 1 }
                discarding = false
                start = newline + 1
                return .skipped
            }
            return .line(take(upTo: newline, skipping: 1))
        }
    }

    private func take(upTo end: Int, skipping: Int) -> UnsafeBufferPointer<UInt8> {
        let line = UnsafeBufferPointer(start: buffer + start, count: end - start)
        start = end + skipping
        return line
    }

    /// Moves the unread bytes to the front, grows the buffer when a line fills it (only
    /// when `maxLineLength` is near the buffer's size), reads more.
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
