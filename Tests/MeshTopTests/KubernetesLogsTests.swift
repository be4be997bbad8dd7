import Collectors
import TestSupport
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
        var value: String { text.withLock { $0 } }
    }

    /// meshtop running with the fake kubectl first on PATH, replaying from `work`; both
    /// output streams are collected as they arrive.
    private final class Run {
        let process = Process()
        let stdout = Output()
        let stderr = Output()
        private let pipes = (out: Pipe(), err: Pipe())

        init(_ arguments: [String], work: URL) throws {
            process.executableURL = BuiltBinary.url("meshtop")
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] =
                KubernetesLogsTests.fixtures.appendingPathComponent("fake-kubectl").path + ":" + (environment["PATH"] ?? "/usr/bin")
            environment["FAKE_KUBE_DIR"] = work.path
            process.environment = environment
            let (stdout, stderr) = (self.stdout, self.stderr)
            pipes.out.fileHandleForReading.readabilityHandler = { stdout.append($0.availableData) }
            pipes.err.fileHandleForReading.readabilityHandler = { stderr.append($0.availableData) }
            process.standardOutput = pipes.out
            process.standardError = pipes.err
            try process.run()
        }

        /// Polls until `condition` holds or 20 s pass; the assertions after it say what was missing.
        func wait(until condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitForExit()
            pipes.out.fileHandleForReading.readabilityHandler = nil
            pipes.err.fileHandleForReading.readabilityHandler = nil
        }
    }

    /// Waits for a run's exit on a thread of its own: a test that blocks one of Swift's few
    /// pool threads in `waitUntilExit` can starve the very tests whose servers it waits on.
    static func exit(of process: Process) async {
        await OffPool.run { process.waitForExit(within: 60) }
    }

    private func workDirectory(copying fixture: String?) throws -> URL {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kube-\(UUID().uuidString)")
        if let fixture {
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(fixture), to: work)
        } else {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        }
        return work
    }

    @Test func followsPodsAsTheyComeAndGo() async throws {
        let work = try workDirectory(copying: "kube-churn")
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try Run(
            ["logs", "--pairs", "--relist", "200ms", "--context", "kind-test", "k8s:default/app=storage"], work: work)
        try await run.wait {
            run.stdout.value.contains("k8s-rid-1") && run.stderr.value.contains("- default/storage-a")
        }

        let out = run.stdout.value
        let err = run.stderr.value
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
        run.process.terminate()
        await Self.exit(of: run.process)
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 0)
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
        // No pods-*.json: every listing fails the way kubectl does without a cluster.
        let work = try workDirectory(copying: nil)
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try Run(["logs", "--relist", "100ms", "k8s:app=storage"], work: work)
        try await run.wait { run.stderr.value.components(separatedBy: "retrying").count >= 3 }
        let err = run.stderr.value
        #expect(err.components(separatedBy: "meshtop: k8s:app=storage:").count >= 3, "\(err)")
        #expect(run.process.isRunning, "a kubectl error must not end meshtop")
    }

    @Test func noFollowPrintsWhatTheRunningPodsHaveLoggedAndExits() async throws {
        // One listing with pods a and b running (and c pending); storage-b's log goes missing
        // to show a failed `kubectl logs` reported without losing the other pod.
        let work = try workDirectory(copying: "kube-churn")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = FileManager.default
        try files.removeItem(at: work.appendingPathComponent("pods-1.json"))
        try files.removeItem(at: work.appendingPathComponent("pods-3.json"))
        let run = try Run(["logs", "--no-follow", "--pairs", "k8s:default/app=storage"], work: work)
        await Self.exit(of: run.process)
        #expect(run.process.terminationStatus == 0, "stderr: \(run.stderr.value)")
        try await run.wait { run.stdout.value.contains("k8s-rid-1") }
        #expect(run.stdout.value.contains("client 9ms  server 6ms  +3ms  etcd-service:2379  k8s-rid-1"), "stdout: \(run.stdout.value)")
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(calls.components(separatedBy: "get pods").count == 2, "one listing: \(calls)")
        #expect(calls.contains("-n default logs storage-a -c istio-proxy"))
        #expect(!calls.contains("logs -f"))
        #expect(!calls.contains("storage-c"))

        try files.removeItem(at: work.appendingPathComponent("logs/storage-b.log"))
        let partial = try Run(["logs", "--no-follow", "k8s:default/app=storage"], work: work)
        await Self.exit(of: partial.process)
        try await partial.wait { partial.stderr.value.contains("storage-b exited") }
        #expect(partial.stderr.value.contains("meshtop: k8s:default/app=storage: kubectl logs default/storage-b exited 1"))
        #expect(partial.stdout.value.contains("k8s-rid-1"), "pod a's lines are still printed")
    }

    /// Ambient's node proxies: the `ztunnel` container is read, even beside another one,
    /// and the two nodes' lines of one connection pair.
    @Test func ztunnelPodsAreReadFromTheirZtunnelContainer() async throws {
        let work = try workDirectory(copying: "kube-ztunnel")
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try Run(["logs", "--no-follow", "--pairs", "k8s:istio-system/app=ztunnel"], work: work)
        await Self.exit(of: run.process)
        #expect(run.process.terminationStatus == 0, "stderr: \(run.stderr.value)")
        try await run.wait { run.stdout.value.contains("server 11ms") }
        #expect(run.stdout.value.contains("client 13ms  server 11ms"), "stdout: \(run.stdout.value)")
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(calls.contains("-n istio-system logs ztunnel-node1 -c ztunnel"), "\(calls)")
        #expect(calls.contains("-n istio-system logs ztunnel-node2 -c ztunnel"), "\(calls)")
    }

    @Test func theLogContainerOfAPod() {
        #expect(KubernetesSource.logContainer(["app", "istio-proxy"]) == "istio-proxy")
        #expect(KubernetesSource.logContainer(["ztunnel", "node-debug"]) == "ztunnel")
        #expect(KubernetesSource.logContainer(["only"]) == "only")
        #expect(KubernetesSource.logContainer(["a", "b"]) == nil)
    }

    @Test func noFollowWithoutAClusterSaysWhyInOneLine() async throws {
        let work = try workDirectory(copying: nil)
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try Run(["logs", "--no-follow", "k8s:app=storage"], work: work)
        await Self.exit(of: run.process)
        #expect(run.process.terminationStatus == 2)
        try await run.wait { run.stderr.value.contains("\n") }
        #expect(run.stderr.value.contains("meshtop: cannot read k8s:app=storage: the connection to the server"))
    }
}
