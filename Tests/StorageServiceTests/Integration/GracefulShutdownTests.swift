import TestSupport
import AsyncHTTPClient
import Collectors
import Foundation
import NIOHTTP1
import Testing

/// The built storage-service binary, as Kubernetes runs it: SIGTERM while a request is in
/// flight lets that request finish, refuses new connections and exits 0.
@Suite(.enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct GracefulShutdownTests {
    @Test func sigtermDrainsInFlightRequests() async throws {
        let binary = BuiltBinary.url("storage-service")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build storage-service first")
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let port = FreePort.next()
        let service = Process()
        service.executableURL = binary
        service.arguments = [
            "--host", "127.0.0.1", "--port", "\(port)", "--etcd", etcd.clientURL, "--etcd-timeout", "1500ms",
            "--log-level", "error",
        ]
        try service.run()
        defer { if service.isRunning { service.terminate() } }

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            // Ready once it answers; the service needs etcd for /readyz, so that proves both.
            var ready = false
            for _ in 0..<200 where !ready {
                let status = try? await ServiceHarness.call(http, port: port, .GET, "/readyz").status
                ready = status == 200
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(ready, "storage-service never became ready")
            // SIGTERM right after start-up can land before the signal handler is installed;
            // a request that has been answered shows the server is fully up.
            #expect(try await ServiceHarness.call(http, port: port, .GET, "/").status == 200)

            etcd.freeze()
            defer { etcd.thaw() }
            // This request now waits for etcd until the 1.5 s call timeout.
            async let inFlight = ServiceHarness.call(http, port: port, .GET, "/storage/slow")
            try await Task.sleep(for: .milliseconds(300))
            kill(service.processIdentifier, SIGTERM)
            let answer = try await inFlight
            #expect(answer.status == 504, "\(answer.body)")

            let exited = await OffPool.run { () -> Int32 in
                service.waitForExit(within: 20)
                return service.isRunning ? -1 : service.terminationStatus
            }
            #expect(exited == 0)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
