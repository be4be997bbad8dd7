import Foundation
import Testing
import TestSupport

/// Idle and slow connections are closed and the number of connections is capped: raw
/// sockets against the built binary with short limits.
@Suite struct ConnectionLimitsTests {
    @Test func idleConnectionIsClosedAfterTheIdleTimeout() async throws {
        let service = try await ServiceProcess(["--idle-timeout", "500ms", "--read-timeout", "5s"])
        defer { service.stop() }
        let idle = try service.connect()
        let closedAfter = try #require(await idle.timeUntilClosed(timeout: .seconds(5)), "an idle connection stayed open 5 s")
        #expect(closedAfter >= .milliseconds(400) && closedAfter < .seconds(3), "closed after \(closedAfter)")

        // A connection that was used is idle again after its answer, and closed the same way.
        let used = try service.connect()
        used.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await used.response().status == 200)
        #expect(await used.timeUntilClosed(timeout: .seconds(5)) != nil)
    }

    @Test func headersSentAByteAtATimeAreCutOffAtTheReadTimeout() async throws {
        // The idle timeout is long: only the read timeout can end this connection.
        let service = try await ServiceProcess(["--idle-timeout", "60s", "--read-timeout", "500ms"])
        defer { service.stop() }
        let slow = try service.connect()
        let head = Array("GET / HTTP/1.1\r\nHost: t\r\nX-Padding: \(String(repeating: "a", count: 200))\r\n\r\n".utf8)
        let started = ContinuousClock.now
        var closedAfter: Duration?
        for byte in head {
            // A byte every 20 ms: never idle for long, and 5 s for the whole head.
            let sent = slow.send([byte])
            let reply = await slow.read(timeout: .milliseconds(20))
            if !sent || reply == .closed {
                closedAfter = ContinuousClock.now - started
                break
            }
        }
        let elapsed = try #require(closedAfter, "the server waited for the whole trickled head")
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(3), "closed after \(elapsed)")
    }

    @Test func aBodyShorterThanDeclaredIsCutOffAtTheReadTimeout() async throws {
        let service = try await ServiceProcess(["--idle-timeout", "60s", "--read-timeout", "500ms"])
        defer { service.stop() }
        // 1 MB declared, within the body limit, and 100 bytes sent.
        let short = try service.connect()
        short.send("PUT /storage HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
        short.send(String(repeating: "x", count: 100))
        let started = ContinuousClock.now
        let (_, closed) = await short.read(until: { _ in false }, timeout: .seconds(5))
        let elapsed = ContinuousClock.now - started
        #expect(closed, "a 1 MB body with 100 bytes sent kept its connection for 5 s")
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(3), "closed after \(elapsed)")

        // 100 MB declared: over the limit, refused before any of it is read.
        let huge = try service.connect()
        huge.send("PUT /storage HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
        huge.send(String(repeating: "x", count: 100))
        let refused = try await huge.response(timeout: .milliseconds(300))
        #expect(refused.status == 413)
        #expect(try refused.json()["error"] as? String == "request body is larger than 1.5 MiB")
        #expect(await huge.timeUntilClosed(timeout: .seconds(2)) != nil)
    }

    @Test func connectionsBeyondTheCapWaitWhileExistingOnesAreServed() async throws {
        let service = try await ServiceProcess(["--max-connections", "2", "--idle-timeout", "30s"])
        defer { service.stop() }
        let request = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        let first = try service.connect()
        let second = try service.connect()
        for connection in [first, second] {
            connection.send(request)
            #expect(try await connection.response().status == 200)
        }
        // The kernel completes the handshake, but the server does not accept a third.
        let third = try service.connect()
        third.send(request)
        #expect(await third.read(timeout: .seconds(1)) == .timedOut, "a third connection was served past a cap of 2")
        // The two it holds are still served.
        first.send(request)
        #expect(try await first.response().status == 200)
        // One closes: the waiting connection is accepted and answered.
        second.close()
        #expect(try await third.response(timeout: .seconds(5)).status == 200)
    }
}
