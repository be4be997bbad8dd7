#if canImport(Glibc)
import Glibc
#endif

/// Gives each distinct short text (an authority, a set of response flags) a small number,
/// so counting a line costs a hash of its bytes and no String. The texts are few (the
/// services of a mesh), the lines many.
public struct TextInterner: Sendable {
    public private(set) var texts: [String] = []
    private var bytes: [[UInt8]] = []
    /// Numbers by hash of the bytes; a list, as two texts may share a hash.
    private var byHash: [UInt64: [Int32]] = [:]

    public init() {}

    public var count: Int { texts.count }

    public mutating func number(for value: UnsafeBufferPointer<UInt8>) -> Int32 {
        // A mesh has a handful of authorities and flag sets: comparing with the first few
        // is cheaper than hashing.
        for number in 0..<min(bytes.count, 8) where Self.same(bytes[number], value) { return Int32(number) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        if let candidates = byHash[hash] {
            for number in candidates where Self.same(bytes[Int(number)], value) { return number }
        }
        let number = Int32(texts.count)
        texts.append(String(decoding: value, as: UTF8.self))
        bytes.append(Array(value))
        byHash[hash, default: []].append(number)
        return number
    }

    private static func same(_ stored: [UInt8], _ value: UnsafeBufferPointer<UInt8>) -> Bool {
        stored.count == value.count && stored.withUnsafeBufferPointer { memcmp($0.baseAddress!, value.baseAddress!, value.count) == 0 }
    }

    public mutating func number(for text: String) -> Int32 {
        var text = text
        return text.withUTF8 { number(for: $0) }
    }
}
