import Foundation
import Collectors
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct CurlEasyTests {
    /// The transfers that do not test a timeout wait long enough for a loaded machine.
    static let patient = 10_000

    private func makeApp() -> some ApplicationProtocol {
        let router = Router()
        router.get("/v2/keys/") { _, _ in
            Response(
                status: .ok, headers: [HTTPField.Name("X-Etcd-Index")!: "15", HTTPField.Name("X-Raft-Term")!: "2"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"action":"get"}"#)))
        }
        router.post("/echo") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let id = request.headers[HTTPField.Name("x-request-id")!] ?? "none"
            return Response(
                status: .created, headers: [HTTPField.Name("X-Seen-Id")!: id], body: .init(byteBuffer: body))
        }
        router.get("/auth") { request, _ in
            request.headers[.authorization] ?? "none"
        }
        router.get("/big") { _, _ in String(repeating: "x", count: 64 << 10) }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .seconds(2))
            return "late"
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func bearerAndBasicAuthAndConcurrentTransfersOfOneSource() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let bearer = CurlHTTPClient(baseURL: "http://127.0.0.1:\(port)/", auth: .bearer("t0ken"), totalTimeoutMilliseconds: Self.patient)
            #expect(try await bearer.send("GET", "/auth").response.text == "Bearer t0ken")
            let basic = CurlHTTPClient(baseURL: "http://127.0.0.1:\(port)", auth: .basic(user: "meshtop", password: "p:w"), totalTimeoutMilliseconds: Self.patient)
            #expect(try await basic.send("GET", "/auth").response.text == "Basic " + Data("meshtop:p:w".utf8).base64EncodedString())
            // Ten transfers at once on one source: none waits for another's slow answer (one
            // after another would take 20 s).
            let source = CurlHTTPClient(baseURL: "http://127.0.0.1:\(port)", totalTimeoutMilliseconds: 15_000)
            let start = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await source.send("GET", "/slow").response.status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 10))
            #expect(ContinuousClock.now - start < .seconds(12))
        }
    }

    @Test func getCapturesHeadersCaseInsensitively() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let response = try await OffPool.run {
                try CurlEasy().perform(CurlRequest(url: "http://127.0.0.1:\(port)/v2/keys/", totalTimeoutMilliseconds: Self.patient))
            }
            #expect(response.status == 200)
            #expect(response.header("x-etcd-index") == "15")
            #expect(response.header("X-RAFT-TERM") == "2")
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"action":"get"}"#)
        }
    }

    @Test func postSendsBodyAndHeadersAndReusesTheHandle() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let statuses = try await OffPool.run {
                let curl = try CurlEasy()
                var seen: [(Int, String?, String)] = []
                for n in 0..<3 {
                    let response = try curl.perform(
                        CurlRequest(
                            url: "http://127.0.0.1:\(port)/echo", method: "POST", headers: [("x-request-id", "id-\(n)")],
                            body: Array("payload \(n) 中".utf8), totalTimeoutMilliseconds: Self.patient))
                    seen.append((response.status, response.header("x-seen-id"), String(decoding: response.body, as: UTF8.self)))
                }
                return seen
            }
            #expect(statuses.map(\.0) == [201, 201, 201])
            #expect(statuses.map(\.1) == ["id-0", "id-1", "id-2"])
            #expect(statuses.map(\.2) == ["payload 0 中", "payload 1 中", "payload 2 中"])
        }
    }

    @Test func refusedConnectionIsAConnectError() async throws {
        // Port 1 on loopback has no listener in a test environment.
        let error = await OffPool.run { () -> CurlError? in
            do {
                _ = try CurlEasy().perform(CurlRequest(url: "http://127.0.0.1:1/"))
                return nil
            } catch let error as CurlError { return error } catch { return nil }
        }
        #expect(error?.failure == .connectRefused)
        #expect(error?.failure.responseFlag == "UF")
    }

    @Test func slowAnswerIsATimeout() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let error = await OffPool.run { () -> CurlError? in
                do {
                    _ = try CurlEasy().perform(CurlRequest(url: "http://127.0.0.1:\(port)/slow", totalTimeoutMilliseconds: 200))
                    return nil
                } catch let error as CurlError { return error } catch { return nil }
            }
            #expect(error?.failure == .timeout)
            #expect(error?.failure.responseFlag == "UT")
        }
    }

    /// Every exchange of a client shares one thread (`CurlLoop`): a transfer that times out
    /// or overflows ends alone, and one answered meanwhile is not held up by it.
    @Test func aClientsTimeoutAndOverflowEndOnlyTheirOwnExchange() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let source = CurlHTTPClient(baseURL: "http://127.0.0.1:\(port)", totalTimeoutMilliseconds: Self.patient, maxResponseBytes: 16 << 10)
            let slow = Task { () -> CurlError? in
                do {
                    _ = try await source.send("GET", "/slow", totalTimeoutMilliseconds: 1_000)
                    return nil
                } catch let error as CurlError { return error } catch { return nil }
            }
            for _ in 0..<5 {
                let fast = try await source.send("GET", "/auth")
                #expect(fast.response.text == "none")
                #expect(fast.latency < .seconds(1), "a fast exchange waited for the slow one: \(fast.latency)")
            }
            let timeout = await slow.value
            #expect(timeout?.failure == .timeout, "\(String(describing: timeout))")
            do {
                _ = try await source.send("GET", "/big")
                Issue.record("a 64 KiB answer passed a 16 KiB bound")
            } catch let error as CurlError {
                #expect(error.failure == .tooLarge && error.message.contains("16 KiB"), "\(error)")
            }
            // The loop and the handles go on after both failures.
            #expect(try await source.send("GET", "/auth").response.status == 200)
        }
    }
}
