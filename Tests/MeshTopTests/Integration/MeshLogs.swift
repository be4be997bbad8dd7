import Collectors
import Foundation
import TestSupport

/// Requests into a local mesh, and what its proxies logged of them as meshtop reads it back.
enum MeshLogs {
    /// One request with the given x-request-id; its status, 0 when nothing answered.
    static func send(_ url: String, method: String = "GET", id: String = UUID().uuidString.lowercased(), body: String? = nil)
        async -> Int
    {
        var headers = [("x-request-id", id)]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let request = CurlRequest(
            url: url, method: method, headers: headers, body: body.map { Array($0.utf8) }, totalTimeoutMilliseconds: 10_000)
        return await OffPool.run { (try? CurlEasy().perform(request))?.status ?? 0 }
    }

    /// A PUT of one key through the storage API.
    static func put(_ base: String, key: String, value: String = "v", id: String = UUID().uuidString.lowercased()) async -> Int {
        await send(base + "/storage", method: "PUT", id: id, body: #"{"key":"\#(key)","value":"\#(value)"}"#)
    }

    /// `meshtop logs FILES --no-follow --json [--pairs]`: one object per line.
    static func read(_ files: [String], pairs: Bool = false) async throws -> [[String: Any]] {
        let run = try await BinaryRun.run("meshtop", ["logs"] + files + ["--no-follow", "--json"] + (pairs ? ["--pairs"] : []))
        guard run.status == 0 else { throw TestFailure("meshtop logs exited with \(run.status): \(run.stderr)") }
        return try run.stdout.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(line)")
            }
            return object
        }
    }

    /// How many lines of `file` carry one of `ids` (read as text: either encoding).
    static func lines(in file: String, naming ids: Set<String>) -> Int {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { line in ids.contains { line.contains($0) } }.count
    }

    /// A record's flags as Envoy joins them ("URX,UF"); none for "-" (null in meshtop's JSON).
    static func flags(_ record: [String: Any]) -> [String] {
        ((record["response_flags"] as? String) ?? "").split(separator: ",").map(String.init)
    }

    /// The whole file, for a failure message.
    static func text(_ file: String) -> String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
}
