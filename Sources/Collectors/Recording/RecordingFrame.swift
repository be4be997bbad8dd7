/// One thing meshtop received, as a recording keeps it: a kind, when it came (milliseconds
/// since 1970) and its fields as bytes, so a log line or an answer is kept exactly as it
/// came, whatever bytes it holds.
///
/// On disk: the kind (1 byte), the time (8 bytes), the field count (2 bytes), then each
/// field's length (4 bytes) and bytes; integers little-endian. A reader skips kinds it
/// does not know and fields past the ones it reads, so a later meshtop can add both.
public struct RecordingFrame: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// The recording's first frame: the format version, the meshtop that wrote it, what it watched.
        case header = 1
        /// A log line: its source, its bytes (no newline).
        case logLine = 2
        /// One HTTP exchange of a poll (`RecordedExchange`).
        case exchange = 3
        /// The load generator's progress, as JSON (`LoadStatus`).
        case load = 4
        /// The oldest frames were dropped to keep the file under its bound: how many bytes.
        case dropped = 5
        /// Where the run's sources were once opened (`key=URL`: prometheus, etcd, service):
        /// a replay asks the same URLs.
        case sources = 6
    }

    public var kind: UInt8
    public var time: Int64
    public var fields: [[UInt8]]

    public init(kind: Kind, time: Int64, fields: [[UInt8]]) {
        self.kind = kind.rawValue
        self.time = time
        self.fields = fields
    }

    public init(kind: UInt8, time: Int64, fields: [[UInt8]]) {
        self.kind = kind
        self.time = time
        self.fields = fields
    }

    /// A field as text (lossy for bytes that are not UTF-8); empty past the last field.
    public func text(_ index: Int) -> String {
        index < fields.count ? String(decoding: fields[index], as: UTF8.self) : ""
    }

    public func bytes(_ index: Int) -> [UInt8] { index < fields.count ? fields[index] : [] }

    /// A frame's fields may not exceed this many bytes each: a recording holds answers that
    /// are themselves bounded (16 MiB), log lines (1 MiB), never more.
    public static let maxFieldBytes = 64 << 20
    static let headerBytes = 11

    public func encode(into buffer: inout [UInt8]) {
        buffer.append(kind)
        Self.append(UInt64(bitPattern: time), bytes: 8, to: &buffer)
        Self.append(UInt64(min(fields.count, Int(UInt16.max))), bytes: 2, to: &buffer)
        for field in fields.prefix(Int(UInt16.max)) {
            Self.append(UInt64(field.count), bytes: 4, to: &buffer)
            buffer.append(contentsOf: field)
        }
    }

    /// The frame at the start of `bytes` and its size, nil when `bytes` ends inside it;
    /// an error when what is there cannot be a frame.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(RecordingError) -> (frame: RecordingFrame, size: Int)? {
        guard bytes.count >= headerBytes else { return nil }
        let kind = bytes[0]
        let time = Int64(bitPattern: read(bytes, at: 1, count: 8))
        let count = Int(read(bytes, at: 9, count: 2))
        var offset = headerBytes
        var fields: [[UInt8]] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            guard bytes.count >= offset + 4 else { return nil }
            let length = Int(read(bytes, at: offset, count: 4))
            guard length <= maxFieldBytes else { throw RecordingError("a field of \(length) bytes: the file is damaged") }
            offset += 4
            guard bytes.count >= offset + length else { return nil }
            fields.append(Array(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)])))
            offset += length
        }
        return (RecordingFrame(kind: kind, time: time, fields: fields), offset)
    }

    private static func append(_ value: UInt64, bytes: Int, to buffer: inout [UInt8]) {
        for index in 0..<bytes { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    private static func read(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }
}

public struct RecordingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
