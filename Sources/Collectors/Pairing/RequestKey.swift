/// An x-request-id as 128 bits, so an open id costs no String: two 64-bit hashes of its
/// bytes, eight at a time. Two different ids (not crafted to collide) meet with a
/// chance below 2^-90 among 100,000 open ones; pairing treats that as never.
public struct RequestKey: Hashable, Sendable {
    public let high: UInt64
    public let low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(bytes: UnsafeBufferPointer<UInt8>) {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var b: UInt64 = 0x8422_2325_cbf2_9ce4 &+ UInt64(bytes.count)
        var index = 0
        while index < bytes.count {
            var word: UInt64 = 0
            if index + 8 <= bytes.count {
                word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
            } else {
                for offset in 0..<(bytes.count - index) { word |= UInt64(bytes[index + offset]) << (8 * offset) }
            }
            a = (a ^ word) &* 0x9e37_79b9_7f4a_7c15
            a ^= a >> 32
            b = (b ^ (word >> 7 | word << 57)) &* 0xc2b2_ae3d_27d4_eb4f
            b ^= b >> 29
            index += 8
        }
        // A final mix so that ids differing only in their last bytes spread over all bits.
        a = (a ^ a >> 33) &* 0xff51_afd7_ed55_8ccd
        b = (b ^ b >> 33) &* 0xc4ce_b9fe_1a85_ec53
        high = a ^ a >> 33
        low = b ^ b >> 33
    }

    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { RequestKey(bytes: $0) }
    }

    public func hash(into hasher: inout Hasher) {
        // The words are already well mixed: one combine is enough.
        hasher.combine(high ^ low)
    }
}
