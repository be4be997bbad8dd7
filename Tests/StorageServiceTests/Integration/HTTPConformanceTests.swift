import Collectors
import Foundation
import Testing
import TestSupport

/// HTTP/1.1 as clients and proxies expect it, on raw sockets against the built binary.
@Suite struct HTTPConformanceTests {
    private static let put = #"{"key":"k","value":"v"}"#

    @Test func expect100ContinueIsAnsweredBeforeTheBody() async throws {
        let service = try await ServiceProcess([])
        defer { service.stop() }
        let connection = try service.connect()
        connection.send(
            "PUT /storage HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(Self.put.utf8.count)\r\n\r\n"
        )
        let interim = try await connection.response(timeout: .milliseconds(500))
        #expect(interim.status == 100)
        connection.send(Self.put)
        let (bytes, _) = await connection.read(until: { RawResponse(bytes: $0) != nil }, timeout: .seconds(5))
        let final = try #require(RawResponse(bytes: interim.rest + bytes))
        #expect(final.status == 201, "\(final.body)")
    }

    @Test func anUnknownExpectationIs417() async throws {
        let service = try await ServiceProcess([])
        defer { service.stop() }
        let connection = try service.connect()
        connection.send("PUT /storage HTTP/1.1\r\nHost: t\r\nExpect: coffee\r\nContent-Length: 2\r\n\r\n{}")
        let response = try await connection.response()
        #expect(response.status == 417)
        #expect(try response.json()["error"] as? String == "expectation 'coffee' is not supported")
    }

    @Test func http10WithoutKeepAliveIsClosedAfterTheAnswer() async throws {
        let service = try await ServiceProcess(["--idle-timeout", "60s"])
        defer { service.stop() }
        let plain = try service.connect()
        plain.send("GET / HTTP/1.0\r\n\r\n")
        let (bytes, closed) = await plain.read(timeout: .seconds(5))
        #expect(RawResponse(bytes: bytes)?.status == 200)
        #expect(closed, "an HTTP/1.0 connection without keep-alive stayed open")

        // With keep-alive it stays open for a second request.
        let kept = try service.connect()
        kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try await kept.response().status == 200)
        kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try await kept.response().status == 200)
    }

    @Test func headAnswersGetRoutesWithTheSameHeadersAndNoBody() async throws {
        let service = try await ServiceProcess([])
        defer { service.stop() }
        let connection = try service.connect()
        connection.send(
            "PUT /storage HTTP/1.1\r\nHost: t\r\nContent-Length: \(Self.put.utf8.count)\r\n\r\n\(Self.put)")
        #expect(try await connection.response().status == 201)
        connection.send("GET /storage/k HTTP/1.1\r\nHost: t\r\n\r\n")
        let get = try await connection.response()
        // The HEAD and a GET after it on one connection: a body after the HEAD would be read
        // as the start of the next response.
        connection.send("HEAD /storage/k HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        let (bytes, _) = await connection.read(
            until: { bytes in
                RawResponse(bytes: bytes, bodyExpected: false).flatMap { RawResponse(bytes: $0.rest) } != nil
            }, timeout: .seconds(5))
        let head = try #require(RawResponse(bytes: bytes, bodyExpected: false))
        #expect(head.status == 200)
        #expect(head.header("content-length") == get.header("content-length"))
        #expect(head.header("content-type") == get.header("content-type"))
        let next = try #require(RawResponse(bytes: head.rest))
        #expect(next.status == 200)
        #expect(next.body == "Simple test for liveliness of the application!")
    }

    @Test func http11WithoutHostIs400() async throws {
        let service = try await ServiceProcess([])
        defer { service.stop() }
        let connection = try service.connect()
        connection.send("GET / HTTP/1.1\r\n\r\n")
        let response = try await connection.response()
        #expect(response.status == 400)
        #expect(try response.json()["error"] as? String == "HTTP/1.1 request without a Host header")
        // HTTP/1.0 needs none.
        let old = try service.connect()
        old.send("GET / HTTP/1.0\r\n\r\n")
        #expect(try await old.response().status == 200)
    }

    @Test(arguments: [
        ("Transfer-Encoding: gzip, chunked", 501), ("Transfer-Encoding: xchunked", 400),
        ("Transfer-Encoding: chunked, gzip", 400),
    ])
    func transferCodings(_ header: String, _ status: Int) async throws {
        let service = try await ServiceProcess([])
        defer { service.stop() }
        let connection = try service.connect()
        connection.send("PUT /storage HTTP/1.1\r\nHost: t\r\n\(header)\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        let response = try await connection.response()
        #expect(response.status == status, "\(header): \(response.body)")
        #expect(try response.json()["error"] is String)
        #expect(response.header("connection") == "close")
    }

    /// Broken chunk framing is the client's mistake: a JSON 400, counted as a 400 in the
    /// service's metrics and access log, never as a 5xx.
    @Test(arguments: ["zz\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n-1\r\n\r\n", "5;\r\nhelloXX\r\n0\r\n\r\n"])
    func malformedChunksAre400(_ body: String) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let service = try await ServiceProcess(["--access-log", log])
        defer { service.stop() }
        let connection = try service.connect()
        connection.send(
            "PUT /storage HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\(body)")
        let response = try await connection.response()
        #expect(response.status == 400, "\(response.body)")
        #expect((try response.json()["error"] as? String)?.hasPrefix("malformed request") == true, "\(response.body)")

        let metrics = try service.connect()
        metrics.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        let text = try await metrics.response().body
        #expect(!text.contains(#"status="500""#), "\(text)")
        let parser = AccessLogParser(format: IstioFormats.istio)
        let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap {
            parser.parse(String($0))
        }
        #expect(!records.contains { ($0.responseCode ?? 0) >= 500 }, "\(records.map(\.responseCode))")
    }
}
