/// A successful vector or matrix answer read straight from its bytes: the buckets query of a
/// thousand edges is megabytes a second, and Foundation's `JSONSerialization` makes an `Any`
/// tree of it that is then cast, label by label, into what is kept (house rule 11).
///
/// Only the answer meshtop expects is read here; anything else (an error, a scalar, a value
/// of an unexpected type, malformed JSON) gives nil, and `PrometheusAnswer.decode` reads the
/// body the general way, which says what is wrong. So both ways agree on every answer.
struct PrometheusAnswerScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0
    /// Label names and common values repeat in every series: made into Strings once, so a
    /// thousand series share one copy of `destination_workload_namespace`.
    private var interned: [Span: String] = [:]

    /// Bytes of the body, as a dictionary key (valid while the body is).
    private struct Span: Hashable {
        let bytes: UnsafeBufferPointer<UInt8>
        func hash(into hasher: inout Hasher) { hasher.combine(bytes: UnsafeRawBufferPointer(bytes)) }
        static func == (a: Span, b: Span) -> Bool { a.bytes.elementsEqual(b.bytes) }
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func answer(_ body: [UInt8]) -> PrometheusAnswer? {
        body.withUnsafeBufferPointer { pointer in
            var scanner = PrometheusAnswerScanner(pointer)
            return scanner.answer()
        }
    }

    private struct Item {
        var labels: [String: String] = [:]
        var value: PrometheusPoint?
        var values: [PrometheusPoint]?
    }

    private mutating func answer() -> PrometheusAnswer? {
        var status: String?
        var resultType: String?
        var items: [Item]?
        var warnings: [String] = []
        let complete = object { key, scanner in
            switch key {
            case "status": status = scanner.string()
            case "warnings":
                guard let list = scanner.strings() else { return false }
                warnings = list
            case "data":
                return scanner.object { key, scanner in
                    switch key {
                    case "resultType": resultType = scanner.string()
                    case "result": items = scanner.items()
                    default: return scanner.skip()
                    }
                    return true
                }
            default: return scanner.skip()
            }
            return true
        }
        skipSpace()
        guard complete, at == bytes.count, status == "success", let items else { return nil }
        var series: [PrometheusSeries] = []
        series.reserveCapacity(items.count)
        for item in items {
            switch resultType {
            case "vector":
                guard let value = item.value else { return nil }
                series.append(PrometheusSeries(labels: item.labels, points: [value]))
            case "matrix":
                guard let values = item.values else { return nil }
                series.append(PrometheusSeries(labels: item.labels, points: values))
            default: return nil
            }
        }
        let kept = warnings.prefix(PrometheusAnswer.keptWarnings).map { ControlBytes.sanitize($0, limit: PrometheusAnswer.textLimit) }
        return PrometheusAnswer(result: resultType == "vector" ? .vector(series) : .matrix(series), warnings: kept)
    }

    /// `[{"metric": {…}, "value": […]}, …]`
    private mutating func items() -> [Item]? {
        var items: [Item] = []
        let complete = array { scanner in
            var item = Item()
            let complete = scanner.object { key, scanner in
                switch key {
                case "metric":
                    guard let labels = scanner.labels() else { return false }
                    item.labels = labels
                case "value":
                    guard let point = scanner.point() else { return false }
                    item.value = point
                case "values":
                    var points: [PrometheusPoint] = []
                    let complete = scanner.array { scanner in
                        guard let point = scanner.point() else { return false }
                        points.append(point)
                        return true
                    }
                    guard complete else { return false }
                    item.values = points
                default: return scanner.skip()
                }
                return true
            }
            items.append(item)
            return complete
        }
        return complete ? items : nil
    }

    private mutating func labels() -> [String: String]? {
        var labels: [String: String] = [:]
        let complete = object { key, scanner in
            guard let value = scanner.string(interning: true) else { return false }
            labels[key] = value
            return true
        }
        return complete ? labels : nil
    }

    /// `[1796156688.123, "2.5"]`: the time a number, the value a string (NaN and ±Inf too).
    private mutating func point() -> PrometheusPoint? {
        guard take(UInt8(ascii: "[")), let time = number(), take(UInt8(ascii: ",")), let text = string(),
            let value = Double(text), take(UInt8(ascii: "]"))
        else { return nil }
        return PrometheusPoint(time: time, value: value)
    }

    private mutating func strings() -> [String]? {
        var list: [String] = []
        let complete = array { scanner in
            guard let text = scanner.string() else { return false }
            list.append(text)
            return true
        }
        return complete ? list : nil
    }

    // MARK: JSON

    /// Calls `member` at each key with the scanner before its value; false stops (not read).
    private mutating func object(_ member: (String, inout PrometheusAnswerScanner) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = string(interning: true), take(UInt8(ascii: ":")), member(key, &self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    private mutating func array(_ element: (inout PrometheusAnswerScanner) -> Bool) -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard element(&self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    /// Past one value of any kind.
    private mutating func skip() -> Bool {
        skipSpace()
        guard at < bytes.count else { return false }
        switch bytes[at] {
        case UInt8(ascii: "{"): return object { _, scanner in scanner.skip() }
        case UInt8(ascii: "["): return array { $0.skip() }
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"): return word("true")
        case UInt8(ascii: "f"): return word("false")
        case UInt8(ascii: "n"): return word("null")
        default: return number() != nil
        }
    }

    private mutating func word(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard at + count <= bytes.count else { return false }
        for index in 0..<count where bytes[at + index] != text.utf8Start[index] { return false }
        at += count
        return true
    }

    private mutating func number() -> Double? {
        skipSpace()
        let start = at
        while at < bytes.count, Self.isNumberByte(bytes[at]) { at += 1 }
        guard at > start else { return nil }
        return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self))
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    /// A JSON string; one without escapes (nearly all) is taken as its bytes.
    private mutating func string(interning: Bool = false) -> String? {
        skipSpace()
        guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
        at += 1
        let start = at
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\"), bytes[at] >= 0x20 { at += 1 }
        guard at < bytes.count else { return nil }
        if bytes[at] == UInt8(ascii: "\"") {
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<at])
            at += 1
            // Small strings are stored inline; only longer ones are worth sharing.
            guard interning, raw.count > 15, raw.count <= 128 else { return String(decoding: raw, as: UTF8.self) }
            if let known = interned[Span(bytes: raw)] { return known }
            let text = String(decoding: raw, as: UTF8.self)
            interned[Span(bytes: raw)] = text
            return text
        }
        guard bytes[at] == UInt8(ascii: "\\") else { return nil }  // a raw control byte
        at = start
        return escapedString()
    }

    /// The rest of a string with escapes, from just after its opening quote.
    private mutating func escapedString() -> String? {
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            run.removeAll(keepingCapacity: true)
        }
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { return nil }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): run.append(escape)
                case UInt8(ascii: "b"): run.append(0x08)
                case UInt8(ascii: "f"): run.append(0x0C)
                case UInt8(ascii: "n"): run.append(0x0A)
                case UInt8(ascii: "r"): run.append(0x0D)
                case UInt8(ascii: "t"): run.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code) {
                        // A surrogate pair: the low half must follow.
                        guard word("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    flush()
                    scalars.append(scalar)
                default: return nil
                }
            case 0..<0x20: return nil
            default: run.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard at + 4 <= bytes.count else { return nil }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            at += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            code = code << 4 | UInt32(digit)
        }
        return code
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    private mutating func skipSpace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x0A, 0x0D, 0x09: at += 1
            default: return
            }
        }
    }
}
