/// A write position in memory reserved for one line (`StdoutWriter.line(reserving:_:)`):
/// an append is a copy and one bounds check, with no growth and no reference count, where
/// an array's append also checks that its storage is unique. Printing every line of a
/// large log is mostly appends.
public struct ByteCursor: ByteSink {
    public private(set) var position: UnsafeMutablePointer<UInt8>
    private let limit: UnsafeMutablePointer<UInt8>

    public init(start: UnsafeMutablePointer<UInt8>, capacity: Int) {
        position = start
        limit = start + capacity
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        precondition(position < limit, "ByteCursor: past the reserved bytes")
        position.initialize(to: byte)
        position += 1
    }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        precondition(limit - position >= bytes.count, "ByteCursor: past the reserved bytes")
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    @inline(__always)
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }
}

/// Where the byte writers (`JSONValue.writeString`, `writeInteger`) write: an array that
/// grows, or a cursor in reserved memory.
public protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: ByteSink where Element == UInt8 {
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}
