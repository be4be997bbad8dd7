import Collectors
import Foundation
import Glibc

/// The local stack as `deploy/local/mesh.py` defines it, for the tests: real etcd members, each
/// behind a real Envoy sidecar, storage-service behind its sidecar, the ingress gateway and
/// Prometheus scraping them all (or fewer: `proxies: false`, `prometheus: false`). The same
/// definition `make demo` and the benchmarks run; the tests read its description and never
/// start those servers themselves. Faults go through `mesh.py fault`, as fault.sh's do.
public final class LocalMesh: @unchecked Sendable {
    public enum LogFormat: String, Sendable { case text, json }

    /// What `mesh.py up` prints once every process is ready.
    public struct Description: Decodable, Sendable {
        public struct ProcessEntry: Decodable, Sendable {
            public var pid: Int32?
            public var log: String
        }

        public var directory: String
        public var supervisor: Int32
        public var logFormat: String
        public var members: Int
        /// The ingress gateway's listener; nil without proxies.
        public var gateway: String?
        public var service: String
        public var etcd: [String]
        public var prometheus: String?
        /// Workload name (istio-ingressgateway, proxy-etcd-storage, etcd-0 …) → its Envoy's access log.
        public var accessLogs: [String: String]
        /// Workload name → its Envoy's admin URL.
        public var admin: [String: String]
        /// Process name (etcd-0, etcd-0/istio-proxy, storage-service, prometheus …) → pid and log.
        public var processes: [String: ProcessEntry]

        enum CodingKeys: String, CodingKey {
            case directory, supervisor, logFormat = "log_format", members, gateway, service, etcd, prometheus
            case accessLogs = "access_logs", admin, processes
        }
    }

    public static let python: String? = Tool.find("python3")
    static let nice: String? = Tool.find("nice")

    /// Envoy, etcd and Prometheus installed (and python3 to run mesh.py); under CI always, so a
    /// missing binary fails the tests instead of skipping them.
    public static var shouldRun: Bool {
        (python != nil && EnvoyProxy.binary != nil && EtcdServer.binary != nil && PrometheusServer.binary != nil) || Tool.underCI
    }

    /// The repository this file is in: Tests/TestSupport/LocalMesh.swift.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static var script: String { repositoryRoot.appendingPathComponent("deploy/local/mesh.py").path }
    /// Where SwiftPM put meshtop and storage-service, next to the test bundle.
    public static var binDirectory: String { BuiltBinary.url("storage-service").deletingLastPathComponent().path }

    /// One mesh at a time in a test run: each is six servers, three of them Envoys, and the
    /// suite runs on two cores with every other suite beside it. A test waits here for its turn.
    static let slots = Slots(1)

    public let description: Description
    /// mesh.json in the mesh's directory: the description kept current across restarts.
    public var descriptionFile: String { description.directory + "/mesh.json" }
    public var gateway: String { description.gateway ?? "" }
    public var prometheus: String { description.prometheus ?? "" }
    /// The three access logs of a one-member mesh, callers first: gateway, storage sidecar, etcd sidecar.
    public var accessLogs: [String] {
        let order = ["istio-ingressgateway", "proxy-etcd-storage"]
        return order.compactMap { description.accessLogs[$0] }
            + description.accessLogs.filter { !order.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
    }

    private let process: Process
    private let stdin: Pipe
    /// Kept open: the supervisor's stdout must not turn into a broken pipe after its first line.
    private let stdout: Pipe
    private let stderrURL: URL
    private var stopped = false

    /// Starts the mesh and waits for its description (every process ready, every target scraped).
    public init(
        proxies: Bool = true, prometheus: Bool = true, members: Int = 1, logFormat: LogFormat = .text,
        istioMetrics: Bool = true, within seconds: TimeInterval = 120
    ) async throws {
        guard let python = Self.python else { throw TestFailure("python3 is not installed") }
        await Self.slots.acquire()
        var arguments = [
            Self.script, "up", "--watch-stdin", "--bin", Self.binDirectory, "--members", "\(members)",
            "--log-format", logFormat.rawValue,
        ]
        if !proxies { arguments.append("--no-proxies") }
        if !prometheus { arguments.append("--no-prometheus") }
        if !istioMetrics { arguments.append("--no-istio-metrics") }
        let process = Process()
        // Niced: the mesh is six servers in the background of a test run on two cores, and the
        // other suites' in-process servers answer within client timeouts of a second or two.
        if let nice = Self.nice {
            process.executableURL = URL(fileURLWithPath: nice)
            process.arguments = ["-n", "10", python] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = arguments
        }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderrURL = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-mesh-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        self.stderrURL = stderrURL
        process.standardInput = stdin
        process.standardOutput = stdout
        do {
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try process.run()
        } catch {
            Self.slots.release()
            try? FileManager.default.removeItem(at: stderrURL)
            throw error
        }
        self.process = process
        self.stdin = stdin
        self.stdout = stdout

        // The first line, read as it comes (the descriptor non-blocking): the supervisor prints
        // it once the mesh is ready, or exits naming what failed.
        let reader = stdout.fileHandleForReading.fileDescriptor
        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK)
        var received: [UInt8] = []
        let errors = { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
        do {
            try await Tool.waitUntil("the mesh's description from mesh.py up", within: seconds, log: errors) {
                var chunk = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = read(reader, &chunk, chunk.count)
                    if count <= 0 { break }
                    received += chunk[0..<count]
                }
                if received.contains(UInt8(ascii: "\n")) { return true }
                if !process.isRunning {
                    throw TestFailure("mesh.py up exited with status \(process.terminationStatus):\n\(errors())")
                }
                return false
            }
            let line = received.prefix { $0 != UInt8(ascii: "\n") }
            do {
                description = try JSONDecoder().decode(Description.self, from: Data(line))
            } catch {
                throw TestFailure("mesh.py up printed what is not a mesh (\(error)):\n\(String(decoding: line, as: UTF8.self))")
            }
        } catch {
            Self.end(process, stdin: stdin, stderr: stderrURL)
            throw error
        }
    }

    deinit { stop() }

    /// Closes the supervisor's stdin, which stops the mesh (every process, its directory
    /// removed), and returns: the mesh's next test waits for its slot until the supervisor has
    /// exited. That wait is bounded; SIGKILL is the last resort, and the mesh's processes die
    /// with their supervisor (PR_SET_PDEATHSIG).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        Self.end(process, stdin: stdin, stderr: stderrURL)
    }

    /// The supervisor is waited for on a thread of its own: stopping takes seconds (its
    /// processes stop in turn), and a test's task must not hold one of the two threads of the
    /// cooperative pool that long, or every other test's servers stall meanwhile.
    private static func end(_ process: Process, stdin: Pipe, stderr: URL) {
        try? stdin.fileHandleForWriting.close()
        // Nothing reads what it says from here on (it keeps writing to the file unlinked).
        try? FileManager.default.removeItem(at: stderr)
        let waiter = Thread {
            // Each of the mesh's processes has 5 s to stop before it is killed; they usually
            // stop at once. SIGTERM if stdin's end did not reach it (a descriptor another child
            // inherited), then waitForExit's SIGKILL.
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitForExit(within: 20)
            slots.release()
        }
        waiter.name = "meshtop-mesh-stop"
        waiter.start()
    }

    /// What the supervisor wrote to stderr so far: why it exited, if it did.
    public var supervisorErrors: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// The supervisor still running: no process of the mesh died unasked.
    public var isRunning: Bool { process.isRunning }

    /// `mesh.py fault <mesh.json> ARGS…`: a fault by real Envoy means (abort, delay, overflow,
    /// clear, etcd stop|start|pause|resume, stop|start NAME). Returns what it said it did.
    @discardableResult
    public func fault(_ args: [String]) async throws -> String {
        let run = try await Self.runScript(["fault", descriptionFile] + args)
        guard run.status == 0 else {
            throw TestFailure("mesh.py fault \(args.joined(separator: " ")) exited with \(run.status): \(run.stderr)\(run.stdout)")
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    public func fault(_ args: String...) async throws -> String { try await fault(args) }

    /// `mesh.py print-format text|json`: the access-log format the proxies are given.
    public static func printFormat(_ format: LogFormat) async throws -> String {
        let run = try await runScript(["print-format", format.rawValue])
        guard run.status == 0 else { throw TestFailure("mesh.py print-format \(format.rawValue): \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .newlines)
    }

    /// The current pid of a process of the mesh (after a restart, the new one).
    public func pid(of name: String) throws -> Int32? {
        let data = try Data(contentsOf: URL(fileURLWithPath: descriptionFile))
        return try JSONDecoder().decode(Description.self, from: data).processes[name]?.pid
    }

    /// mesh.py run to its end with a bound: python3 SCRIPT ARGS….
    static func runScript(_ args: [String]) async throws -> BinaryRun {
        guard let python else { throw TestFailure("python3 is not installed") }
        let script = Self.script
        return await OffPool.run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script] + args
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch { return BinaryRun(status: -1, stdout: "", stderr: "\(error)") }
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitForExit(within: 30)
            if process.isRunning { return BinaryRun(status: -1, stdout: stdout, stderr: stderr + "\n(exit not seen)") }
            return BinaryRun(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }
}

extension LocalMesh {
    /// A counting semaphore for tasks: `acquire` waits without blocking a thread.
    final class Slots: @unchecked Sendable {
        private let lock = NSLock()
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(_ count: Int) { free = count }

        func acquire() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if free > 0 {
                    free -= 1
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiting.append(continuation)
                    lock.unlock()
                }
            }
        }

        func release() {
            lock.lock()
            if waiting.isEmpty {
                free += 1
                lock.unlock()
            } else {
                let next = waiting.removeFirst()
                lock.unlock()
                next.resume()
            }
        }
    }
}
