/// Byte searches eight bytes at a time, for the loops that look at every byte of a log:
/// a byte equal to `c` makes a zero byte in `word ^ c…c`, and `(x - 0x01…) & ~x & 0x80…`
/// is non-zero exactly when `x` has a zero byte (its lowest flag is always a true one).
enum ByteScan {
    // Computed, so that no use goes through a global's lazy initialisation.
    @inline(__always) static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inline(__always) static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// The flags of the zero bytes of `x` (exact up to the lowest one).
    @inline(__always)
    static func zeros(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }

    @inline(__always)
    static func word(_ base: UnsafePointer<UInt8>, _ index: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
    }

    /// The first position in `from..<end` holding `a` or `b`, or `end`.
    @inline(__always)
    static func firstOfEither(_ a: UInt8, _ b: UInt8, in base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        let spreadA = UInt64(a) &* ones
        let spreadB = UInt64(b) &* ones
        var index = from
        while index + 8 <= end {
            let word = word(base, index)
            let found = zeros(word ^ spreadA) | zeros(word ^ spreadB)
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < end, base[index] != a, base[index] != b { index += 1 }
        return index
    }

    /// Whether every byte is printable ASCII (0x20…0x7E), and none is `\` unless `backslash`.
    @inline(__always)
    static func isPrintableASCII(_ bytes: UnsafeBufferPointer<UInt8>, backslash: Bool) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let end = bytes.count
        let spaces = 0x20 &* ones
        let deletes = 0x7F &* ones
        let backslashes = backslash ? 0 : 0x5C &* ones
        var index = 0
        while index + 8 <= end {
            let word = word(base, index)
            // High bit set, below a space (the subtraction borrows only from such a byte,
            // the high bit is checked apart), DEL, backslash.
            var bad = (word & highs) | ((word &- spaces) & ~word & highs) | zeros(word ^ deletes)
            if !backslash { bad |= zeros(word ^ backslashes) }
            if bad != 0 { return false }
            index += 8
        }
        while index < end {
            let byte = base[index]
            if byte < 0x20 || byte >= 0x7F || (!backslash && byte == UInt8(ascii: "\\")) { return false }
            index += 1
        }
        return true
    }
}
