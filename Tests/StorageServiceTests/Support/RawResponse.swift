import Foundation
import TestSupport

/// One HTTP/1.1 response read off a raw connection.
struct RawResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String
    /// Bytes after this response (an interim `100 Continue` is a response of its own).
    var rest: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(body)")
        }
        return object
    }

    /// nil while the bytes do not hold a whole response yet.
    init?(bytes: [UInt8], bodyExpected: Bool = true) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        self.status = status
        self.headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end + separator.count
        let length = bodyExpected && status >= 200 ? headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0 : 0
        guard bytes.count >= bodyStart + length else { return nil }
        self.body = String(decoding: bytes[bodyStart..<(bodyStart + length)], as: UTF8.self)
        self.rest = Array(bytes[(bodyStart + length)...])
    }
}
