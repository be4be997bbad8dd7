#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-terminated lines from a file descriptor in large blocks. A last line
/// without a newline is returned at end of input; `-` means standard input.
public final class LineReader {
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private static let blockSize = 256 << 10

    /// Opens a file (or stdin for "-"); the error says why it cannot be read.
    public init(path: String) throws(LogSourceError) {
        name = path
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            return
        }
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

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its newline, or nil at end of input.
    public func nextLine() throws(LogSourceError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[start..<newline]
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                return line
            }
            try fill()
        }
    }

    private func fill() throws(LogSourceError) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Self.blockSize))
        let count = buffer.withUnsafeMutableBytes { raw in
            read(descriptor, raw.baseAddress! + old, Self.blockSize)
        }
        if count < 0 {
            buffer.removeSubrange(old...)
            if errno == EINTR { return }
            throw LogSourceError(source: name, reason: String(cString: strerror(errno)))
        }
        buffer.removeSubrange((old + count)...)
        if count == 0 { atEnd = true }
    }
}

public struct LogSourceError: Error, CustomStringConvertible, Sendable {
    public let source: String
    public let reason: String
    public var description: String { "cannot read \(source): \(reason.lowercased())" }
}
