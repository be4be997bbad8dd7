import Foundation
import Synchronization
import Testing

/// `meshtop logs k8s:…` against a fake kubectl on PATH (no Kubernetes API server can run
/// here) that replays recorded pod lists and istio-proxy logs: pod a, then a and b (and a
/// pending c), then only b.
@Suite struct KubernetesLogsTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private final class Output: Sendable {
        let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    }

    @Test func followsPodsAsTheyComeAndGo() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kube-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("kube-churn"), to: work)
        defer { try? FileManager.default.removeItem(at: work) }

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshtop")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["logs", "--pairs", "--relist", "200ms", "--context", "kind-test", "k8s:default/app=storage"]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Self.fixtures.appendingPathComponent("fake-kubectl").path + ":" + (environment["PATH"] ?? "/usr/bin")
        environment["FAKE_KUBE_DIR"] = work.path
        process.environment = environment
        let stdout = Output()
        let stderr = Output()
        let outPipe = Pipe()
        let errPipe = Pipe()
        outPipe.fileHandleForReading.readabilityHandler = { stdout.append($0.availableData) }
        errPipe.fileHandleForReading.readabilityHandler = { stderr.append($0.availableData) }
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            outPipe.fileHandleForReading.readabilityHandler = nil
            errPipe.fileHandleForReading.readabilityHandler = nil
        }

        // Poll what meshtop printed until every expected event is in, or 20 s pass.
        let deadline = ContinuousClock.now + .seconds(20)
        func done() -> Bool {
            stdout.text.withLock { $0.contains("k8s-rid-1") }
                && stderr.text.withLock { $0.contains("- default/storage-a") }
        }
        while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }

        let out = stdout.text.withLock { $0 }
        let err = stderr.text.withLock { $0 }
        // The client line came from pod a, the server line from pod b: a pair means both joined.
        #expect(out.contains("client 9ms  server 6ms  +3ms  etcd-service:2379  k8s-rid-1"), "stdout: \(out)")
        #expect(err.contains("+ default/storage-a"), "stderr: \(err)")
        #expect(err.contains("+ default/storage-b"), "stderr: \(err)")
        #expect(err.contains("- default/storage-a"), "stderr: \(err)")
        #expect(!err.contains("storage-c"), "a pending pod is not followed: \(err)")
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(calls.contains("--context kind-test -n default get pods -l app=storage -o json"))
        #expect(calls.contains("logs -f --since=5s storage-a -c istio-proxy"))

        // SIGTERM: meshtop stops its kubectl processes and exits.
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(try Self.processes(mentioning: work.path).isEmpty, "kubectl processes left behind")
    }

    /// Command lines of running processes that mention a path (the fake kubectl's `tail -f`).
    static func processes(mentioning text: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) ? line : nil
        }
    }

    @Test func aKubectlErrorIsReportedAndRetried() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // No pods-*.json: every listing fails the way kubectl does without a cluster.
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshtop")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["logs", "--relist", "100ms", "k8s:app=storage"]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Self.fixtures.appendingPathComponent("fake-kubectl").path + ":" + (environment["PATH"] ?? "/usr/bin")
        environment["FAKE_KUBE_DIR"] = work.path
        process.environment = environment
        let stderr = Output()
        let errPipe = Pipe()
        errPipe.fileHandleForReading.readabilityHandler = { stderr.append($0.availableData) }
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            errPipe.fileHandleForReading.readabilityHandler = nil
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while stderr.text.withLock({ $0.components(separatedBy: "retrying").count < 3 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let err = stderr.text.withLock { $0 }
        #expect(err.components(separatedBy: "meshtop: k8s:app=storage:").count >= 3, "\(err)")
        #expect(process.isRunning, "a kubectl error must not end meshtop")
    }
}
