/// A record's JSON object written straight from a matched line: the same bytes as
/// `AccessLogRecord.writeJSON` of `record(from:)`, without the record.
extension AccessLogParser {
    /// The members of the object in the order `AccessLogRecord.writeJSON` writes them
    /// (sorted by key), as plain values in flat tables: the loop over them, once a line,
    /// then copies nothing that is reference counted.
    final class JSONPlan: Sendable {
        struct Member: Sendable {
            enum Value: UInt8, Sendable {
                case text, number, direction, origin
                /// An operator meshtop does not model, from the first of its slots that has
                /// a value (`extraSlots[slot..<slot+extraCount]`); left out when none has.
                case extra
            }

            /// `"key":` is `keys[keyStart..<keyStart+keyCount]`.
            var keyStart: Int32
            var keyCount: Int32
            var value: Value
            /// The slot of a text or number field (-1: the format lacks it), or where an
            /// extra's slots start.
            var slot: Int32
            var extraCount: Int32 = 0
        }

        let members: [Member]
        let keys: [UInt8]
        let extraSlots: [Int32]

        init(slots: [Slot], extraKeys: [String?], slotOfField: [Int32]) {
            var named: [(String, Member.Value, [Int32])] = AccessLogField.allCases.map { field in
                (field.rawValue, field.isNumeric ? .number : .text, [slotOfField[field.ordinal]])
            }
            named += [("direction", .direction, []), ("source", .origin, [])]
            var extras: [String: [Int32]] = [:]
            for (index, key) in extraKeys.enumerated() {
                guard let key, AccessLogField(rawValue: key) == nil, key != "direction", key != "source" else { continue }
                extras[key, default: []].append(Int32(index))
            }
            named += extras.map { ($0.key, .extra, $0.value) }
            var members: [Member] = []
            var keys: [UInt8] = []
            var extraSlots: [Int32] = []
            for (key, value, slots) in named.sorted(by: { $0.0 < $1.0 }) {
                let keyStart = Int32(keys.count)
                JSONValue.writeString(key, into: &keys)
                keys.append(UInt8(ascii: ":"))
                var member = Member(keyStart: keyStart, keyCount: Int32(keys.count) - keyStart, value: value, slot: slots.first ?? -1)
                if value == .extra {
                    member.slot = Int32(extraSlots.count)
                    member.extraCount = Int32(slots.count)
                    extraSlots += slots
                }
                members.append(member)
            }
            self.members = members
            self.keys = keys
            self.extraSlots = extraSlots
        }
    }

    /// The most bytes `writeJSON` writes for a line of this format: every key, and each
    /// value at most six times its bytes in the line (`\u00XX` of a control byte).
    public func jsonBound(_ line: AccessLogLine, origin: [UInt8]) -> Int {
        jsonBound(lineBytes: line.bytes.count, origin: origin.count)
    }

    public func jsonBound(lineBytes: Int, origin: Int) -> Int {
        program.jsonPlan.keys.count + 24 * program.jsonPlan.members.count + origin + 6 * lineBytes
    }

    /// The JSON object of a line this parser matched, with its `source`; `origin` is that
    /// source already written as a JSON string (a line's source is the same for many
    /// lines). `out` has room for `jsonBound` bytes.
    public func writeJSON(_ line: AccessLogLine, origin: [UInt8], into out: inout ByteCursor) {
        let plan = program.jsonPlan
        out.append(UInt8(ascii: "{"))
        var first = true
        plan.members.withUnsafeBufferPointer { members in plan.keys.withUnsafeBufferPointer { keys in
            for member in members {
                var text: FieldText?
                switch member.value {
                case .extra:
                    text = plan.extraSlots[Int(member.slot)..<Int(member.slot + member.extraCount)].lazy
                        .compactMap { line.text(slot: Int($0)) }.first
                    guard text != nil else { continue }
                case .text where member.slot >= 0: text = line.text(slot: Int(member.slot))
                default: break
                }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(UnsafeBufferPointer(rebasing: keys[Int(member.keyStart)..<Int(member.keyStart + member.keyCount)]))
                switch member.value {
                case .text, .extra:
                    switch text {
                    case .plain(let bytes): JSONValue.writeString(printable: bytes, into: &out)
                    case .decoded(let text):
                        var quoted: [UInt8] = []
                        JSONValue.writeString(text, into: &quoted)
                        out.append(quoted)
                    case nil: out.append(Self.null)
                    }
                case .number:
                    if member.slot >= 0, let bytes = line.value(slot: Int(member.slot)), let value = Self.integer(bytes) {
                        JSONValue.writeInteger(value, into: &out)
                    } else {
                        out.append(Self.null)
                    }
                case .direction:
                    let direction = line.direction
                    out.append(direction == .inbound ? Self.inbound : direction == .outbound ? Self.outbound : Self.unknown)
                case .origin: out.append(origin)
                }
            }
        } }
        out.append(UInt8(ascii: "}"))
    }

    private static let inbound = Array(#""inbound""#.utf8)
    private static let outbound = Array(#""outbound""#.utf8)
    private static let unknown = Array(#""unknown""#.utf8)
    private static let null = Array("null".utf8)
}
