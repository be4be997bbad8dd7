import Collectors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The multi-handle transfers of the load generator share the one-shot exchange's set-up
/// and its failure kinds; a refused libcurl option is an error, never ignored.
@Suite struct CurlTransferTests {
    private func makeApp() -> some ApplicationProtocol {
        let router = Router()
        router.put("/echo") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let id = request.headers[HTTPField.Name("x-request-id")!] ?? "none"
            let type = request.headers[.contentType] ?? "none"
            return "\(request.method) \(id) \(type) \(body.readableBytes)"
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Runs `transfers` on one multi handle until each is done.
    private func run(_ multi: CurlMulti<CurlTransfer>, _ transfers: [CurlTransfer]) throws -> [TransferFailure?] {
        for transfer in transfers { try multi.add(transfer) }
        var done: [ObjectIdentifier: TransferFailure?] = [:]
        while done.count < transfers.count {
            try multi.perform()
            for (transfer, failure) in multi.finished() { done[ObjectIdentifier(transfer)] = failure }
            if done.count < transfers.count { try multi.wait(milliseconds: 50) }
        }
        return transfers.map { done[ObjectIdentifier($0)] ?? nil }
    }

    @Test func multiTransfersSendMethodBodyAndHeadersAsTheOneShotDoes() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let request = CurlRequest(url: "http://127.0.0.1:\(port)/echo", method: "PUT", body: Array("12345".utf8))
            let seen = try await OffPool.run { () throws -> [(TransferFailure?, Int, Int)] in
                let multi = try CurlMulti<CurlTransfer>(connections: 2)
                let transfer = try CurlTransfer(request)
                var seen: [(TransferFailure?, Int, Int)] = []
                for id in ["a", "b"] {
                    try transfer.prepare(extra: ["x-request-id: \(id)"])
                    let failure = try run(multi, [transfer])[0]
                    seen.append((failure, transfer.status, transfer.bytesReceived))
                }
                return seen
            }
            #expect(seen.map(\.0) == [nil, nil])
            #expect(seen.map(\.1) == [200, 200])
            // "PUT a application/json 5": method, the run's header, the default type, the body.
            #expect(seen.map(\.2) == [24, 24])
            let oneShot = try await OffPool.run {
                try CurlEasy().perform(
                    CurlRequest(url: request.url, method: "PUT", headers: [("x-request-id", "a")], body: request.body))
            }
            #expect(oneShot.text == "PUT a application/json 5")
        }
    }

    @Test func refusedConnectionsAndForeignSchemesAreFailuresWithFlags() async throws {
        let failures = try await OffPool.run { () throws -> [TransferFailure?] in
            let multi = try CurlMulti<CurlTransfer>()
            return try run(multi, [try CurlTransfer(CurlRequest(url: "http://127.0.0.1:1/"))])
        }
        #expect(failures == [.connectRefused])
        let foreign = await OffPool.run { () -> CurlError? in
            do {
                _ = try CurlEasy().perform(CurlRequest(url: "dict://127.0.0.1:1/"))
                return nil
            } catch let error as CurlError { return error } catch { return nil }
        }
        #expect(foreign?.failure == .protocolError)
        #expect(foreign?.failure.responseFlag == "UPE")
    }

    @Test func aRefusedOptionIsAnErrorNamingIt() async throws {
        // libcurl refuses strings over 8 MB (CURL_MAX_INPUT_LENGTH) in any option.
        let huge = "http://127.0.0.1/" + String(repeating: "a", count: 9_000_000)
        let error = await OffPool.run { () -> CurlError? in
            do {
                _ = try CurlEasy().perform(CurlRequest(url: huge))
                return nil
            } catch let error as CurlError { return error } catch { return nil }
        }
        #expect(error?.message.contains("CURLOPT_URL") == true, "\(String(describing: error))")
        #expect((try? CurlTransfer(CurlRequest(url: huge))) == nil)
    }
}
