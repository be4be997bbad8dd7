extension EnvoyTimestamp {
    /// Milliseconds since 1970 for `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`, the START_TIME
    /// Envoy writes, or nil for anything else. Pairing uses it as the log's own clock.
    public static func milliseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { milliseconds(bytes: $0) }
    }

    public static func milliseconds(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard hasSeparators(b), let minute = minuteMilliseconds(b) else { return nil }
        return withinMinute(b).map { minute + $0 }
    }

    static func hasSeparators(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        b.count >= 20 && b[4] == UInt8(ascii: "-") && b[7] == UInt8(ascii: "-") && b[10] == UInt8(ascii: "T")
            && b[13] == UInt8(ascii: ":") && b[16] == UInt8(ascii: ":")
    }

    private static func number(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int64? {
        var value: Int64 = 0
        for i in from..<to {
            guard b[i] &- 48 <= 9 else { return nil }
            value = value * 10 + Int64(b[i] - 48)
        }
        return value
    }

    /// `YYYY-MM-DDTHH:MM` (the first 16 bytes) in milliseconds since 1970, as if UTC.
    static func minuteMilliseconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let year = number(b, 0, 4), let month = number(b, 5, 7), let day = number(b, 8, 10),
            let hour = number(b, 11, 13), let minute = number(b, 14, 16), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // Days from the civil date (proleptic Gregorian), after H. Hinnant's algorithm.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return (days * 86_400 + hour * 3_600 + minute * 60) * 1_000
    }

    /// Seconds, fraction and zone offset (the bytes after the minute), in milliseconds.
    static func withinMinute(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let second = number(b, 17, 19) else { return nil }
        var index = 19
        var millis: Int64 = 0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < b.count, b[index] &- 48 <= 9 {
                if digits < 3 { millis = millis * 10 + Int64(b[index] - 48) }
                digits += 1
                index += 1
            }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        var offsetMinutes: Int64 = 0
        if index < b.count, b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-"), index + 6 <= b.count,
            let hours = number(b, index + 1, index + 3), let minutes = number(b, index + 4, index + 6)
        {
            offsetMinutes = (hours * 60 + minutes) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
        }
        return second * 1_000 + millis - offsetMinutes * 60_000
    }
}

/// Reads START_TIMEs of consecutive lines, which mostly share their minute: the date
/// part is converted once per minute, not once per line.
public struct EnvoyTimestampReader: Sendable {
    private var minutePrefix: (UInt64, UInt64) = (0, 0)
    private var minuteMillis: Int64?

    public init() {}

    public mutating func milliseconds(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard EnvoyTimestamp.hasSeparators(b) else { return nil }
        let raw = UnsafeRawPointer(b.baseAddress!)
        let prefix = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        if minuteMillis == nil || prefix != minutePrefix {
            minuteMillis = EnvoyTimestamp.minuteMilliseconds(b)
            minutePrefix = prefix
        }
        guard let minute = minuteMillis, let rest = EnvoyTimestamp.withinMinute(b) else { return nil }
        return minute + rest
    }
}
