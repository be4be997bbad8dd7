import Collectors
import Foundation
import Testing

extension ChildProcessTests {
    /// `KubernetesSource` against a stand-in kubectl whose pod listing takes seconds: the
    /// reader's `poll()` never waits for it, and the wake-up says when lines are there.
    @Suite struct KubernetesSourceTests {
        private static let pods = #"""
            {"items": [{"metadata": {"name": "pod-a", "namespace": "ns"},
              "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}, "status": {"phase": "Running"}}]}
            """#

        /// A kubectl that lists one pod after `listDelay` seconds and logs two lines of its
        /// istio-proxy, then follows (sleeps) with its pid in logs.pid. With a FIFO `listing`
        /// in its directory, a listing says "listing" into it and then waits for ever (on the
        /// FIFO `never`, which nobody opens).
        private func fakeKubectl(listDelay: Int) throws -> URL {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kube-source-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.pods.write(to: directory.appendingPathComponent("pods.json"), atomically: true, encoding: .utf8)
            let script = """
                #!/bin/sh
                dir=$(dirname "$0")
                case " $* " in
                *" get pods "*)
                    if [ -p "$dir/listing" ]; then
                        echo listing >"$dir/listing"
                        # Blocked in the shell itself (no child to outlive it) until it is stopped.
                        read -r _ <"$dir/never"
                    fi
                    sleep \(listDelay); cat "$dir/pods.json" ;;
                *" logs -f --since=5s pod-a -c istio-proxy "*) echo $$ >"$dir/logs.pid"; echo "line one"; echo "line two"; exec sleep 30 ;;
                *) echo "unexpected: $*" >&2; exit 1 ;;
                esac
                """
            let path = directory.appendingPathComponent("kubectl")
            try script.write(to: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
            return path
        }

        @Test func pollNeverWaitsForTheListingAndTheWakeUpSaysWhenLinesCame() throws {
            let kubectl = try fakeKubectl(listDelay: 2)
            defer { try? FileManager.default.removeItem(at: kubectl.deletingLastPathComponent()) }
            let arrived = DispatchSemaphore(value: 0)
            let source = KubernetesSource(
                target: try #require(KubernetesSource.Target("k8s:ns/app=a")), context: nil, namespace: nil, kubectl: kubectl.path,
                wake: { arrived.signal() })
            defer { source.stop() }

            let clock = ContinuousClock()
            let started = clock.now
            let first = source.poll()
            // The listing takes 2 s; run on the caller's thread it would be in this poll.
            #expect(clock.now - started < .milliseconds(500))
            #expect(first.lines.isEmpty && first.events.isEmpty)

            var lines: [String] = []
            var events: [KubernetesSource.Event] = []
            while lines.count < 2 {
                guard arrived.wait(timeout: .now() + 20) == .success else { break }
                let (new, changes) = source.poll()
                lines += new.map { "\($0.source) \(String(decoding: $0.line, as: UTF8.self))" }
                events += changes
            }
            #expect(events.first == .joined("ns/pod-a"))
            #expect(lines == ["ns/pod-a line one", "ns/pod-a line two"])

            let pidText = try String(contentsOf: kubectl.deletingLastPathComponent().appendingPathComponent("logs.pid"), encoding: .utf8)
            let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(pid, 0) == 0)
            source.stop()
            // stop() returns once the follow has exited.
            #expect(kill(pid, 0) == -1)
        }

        @Test func stopCutsAListingShort() throws {
            let kubectl = try fakeKubectl(listDelay: 30)
            defer { try? FileManager.default.removeItem(at: kubectl.deletingLastPathComponent()) }
            let source = KubernetesSource(
                target: try #require(KubernetesSource.Target("k8s:ns/app=a")), context: nil, namespace: nil, kubectl: kubectl.path)
            let fifo = kubectl.deletingLastPathComponent().appendingPathComponent("listing").path
            try #require(mkfifo(fifo, 0o600) == 0)
            try #require(mkfifo(kubectl.deletingLastPathComponent().appendingPathComponent("never").path, 0o600) == 0)
            source.start()
            // Opening the FIFO waits for the listing to open its end: it is in flight from here.
            let reader = try #require(FileHandle(forReadingAtPath: fifo))
            #expect(String(decoding: reader.readDataToEndOfFile(), as: UTF8.self) == "listing\n")
            let clock = ContinuousClock()
            let started = clock.now
            source.stop()
            #expect(clock.now - started < .seconds(5))
            // A listing ended by stop() is not reported as a failure.
            #expect(source.poll().events.isEmpty)
        }
    }
}
