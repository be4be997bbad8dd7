import Foundation

/// The input rules of the storage API.
enum StorageKey {
    static let maxKeyBytes = 256
    static let maxValueBytes = 1 << 20
    static let maxRequestBytes = 3 << 19  // 1.5 MiB

    /// A key is 1–256 bytes of UTF-8 without '/' (it would name a directory in etcd v2)
    /// and without control characters.
    static func validate(_ key: String) throws(APIError) {
        let length = key.utf8.count
        guard length > 0 else { throw APIError(.badRequest, "key must not be empty") }
        guard length <= maxKeyBytes else {
            throw APIError(.badRequest, "key is \(length) bytes; the limit is \(maxKeyBytes)")
        }
        guard !key.utf8.contains(UInt8(ascii: "/")) else { throw APIError(.badRequest, "key must not contain '/'") }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw APIError(.badRequest, "key must not contain control characters")
        }
    }

    /// A key from the URL path: percent-decoded, then validated.
    static func fromPath(_ raw: String) throws(APIError) -> String {
        guard let key = raw.removingPercentEncoding else {
            throw APIError(.badRequest, "key is not valid percent-encoded UTF-8")
        }
        try validate(key)
        return key
    }

    static func validateValue(_ value: String) throws(APIError) {
        let length = value.utf8.count
        guard length <= maxValueBytes else {
            throw APIError(.contentTooLarge, "value is \(length) bytes; the limit is 1 MiB")
        }
    }
}
