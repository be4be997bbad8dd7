import Foundation
import Synchronization

/// `k8s:[NAMESPACE/]SELECTOR`: the istio-proxy logs of every running pod the selector matches.
///
/// Pods are listed with kubectl every `relist` interval; each running pod gets one
/// `kubectl logs -f --since=…` of its `istio-proxy` container (the only container when the
/// pod has one), new pods join and gone pods are dropped. A kubectl failure is reported and
/// retried at the next listing, never fatal. Lines are labelled `namespace/pod`.
public final class KubernetesSource: @unchecked Sendable {
    public struct Target: Sendable, Equatable {
        public var namespace: String?
        public var selector: String

        /// Parses `k8s:[NAMESPACE/]SELECTOR`; nil when the text is not a k8s source.
        public init?(_ source: String) {
            guard source.hasPrefix("k8s:") else { return nil }
            let rest = source.dropFirst(4)
            if let slash = rest.firstIndex(of: "/"), !rest[..<slash].contains("=") {
                namespace = String(rest[..<slash])
                selector = String(rest[rest.index(after: slash)...])
            } else {
                namespace = nil
                selector = String(rest)
            }
            guard !selector.isEmpty else { return nil }
        }
    }

    public enum Event: Sendable, Equatable {
        case joined(String)
        case left(String)
        case error(String)
    }

    public let target: Target
    public let name: String
    private let context: String?
    private let namespaceFlag: String?
    private let relist: Duration
    private let kubectl: String
    private var lastList: ContinuousClock.Instant?
    private var followers: [String: Process] = [:]
    /// The `kubectl logs` runs of `currentLogs`, by pod, kept to read their exit status.
    private var snapshots: [(label: String, process: Process)] = []
    /// Filled by the reader threads of the `kubectl logs` processes, drained by `poll`.
    private final class Inbox: Sendable {
        let state = Mutex<(lines: [(String, [UInt8])], events: [Event])>(([], []))
        func add(_ event: Event) { state.withLock { $0.events.append(event) } }
        func add(_ lines: [(String, [UInt8])]) { state.withLock { $0.lines += lines } }
    }

    private let inbox = Inbox()

    /// - Parameters: `namespace` is the `-n` default when the source names none.
    public init(target: Target, context: String?, namespace: String?, relist: Duration = .seconds(5), kubectl: String = "kubectl") {
        self.target = target
        self.name = "k8s:" + (target.namespace.map { $0 + "/" } ?? "") + target.selector
        self.context = context
        self.namespaceFlag = target.namespace ?? namespace
        self.relist = relist
        self.kubectl = kubectl
    }

    deinit {
        for process in followers.values where process.isRunning { process.terminate() }
        for (_, process) in snapshots where process.isRunning { process.terminate() }
    }

    /// New lines (labelled by pod) and what changed since the last call.
    public func poll() -> (lines: [(source: String, line: [UInt8])], events: [Event]) {
        if lastList.map({ ContinuousClock.now - $0 >= relist }) ?? true {
            lastList = ContinuousClock.now
            relistPods()
        }
        return inbox.state.withLock { box in
            defer { box = ([], []) }
            return (box.lines.map { (source: $0.0, line: $0.1) }, box.events)
        }
    }

    /// Stops every `kubectl logs` process.
    public func stop() {
        for process in followers.values where process.isRunning { process.terminate() }
        followers.removeAll()
    }

    private func baseArguments() -> [String] {
        var arguments: [String] = []
        if let context { arguments += ["--context", context] }
        if let namespaceFlag { arguments += ["-n", namespaceFlag] }
        return arguments
    }

    private struct PodList: Decodable {
        struct Pod: Decodable {
            struct Metadata: Decodable { var name: String; var namespace: String? }
            struct Spec: Decodable { struct Container: Decodable { var name: String }; var containers: [Container]? }
            struct Status: Decodable { var phase: String? }
            var metadata: Metadata
            var spec: Spec?
            var status: Status?
        }
        var items: [Pod]
    }

    private typealias RunningPod = (namespace: String, pod: String, container: String)

    /// The running pods the selector matches, by `namespace/pod`, with the container to read;
    /// or why kubectl could not say.
    private func runningPods() -> Result<[String: RunningPod], LogSourceError> {
        let (status, output, errors) = Self.run(kubectl, baseArguments() + ["get", "pods", "-l", target.selector, "-o", "json"])
        guard status == 0, let list = try? JSONDecoder().decode(PodList.self, from: output) else {
            let reason = String(decoding: errors, as: UTF8.self).split(separator: "\n").first.map(String.init)
                ?? "kubectl get pods exited \(status)"
            return .failure(LogSourceError(source: name, reason: ControlBytes.sanitize(reason)))
        }
        var running: [String: RunningPod] = [:]
        for pod in list.items where pod.status?.phase == "Running" {
            let names = pod.spec?.containers?.map(\.name) ?? []
            guard let container = names.contains("istio-proxy") ? "istio-proxy" : (names.count == 1 ? names[0] : nil) else { continue }
            let namespace = pod.metadata.namespace ?? namespaceFlag ?? "default"
            running["\(namespace)/\(pod.metadata.name)"] = (namespace, pod.metadata.name, container)
        }
        return .success(running)
    }

    /// What each running pod has logged so far (`kubectl logs` without -f, as
    /// `meshtop logs --no-follow` wants): one reader per pod, named `namespace/pod`, sorted
    /// by name. The kubectl processes end as their output is read to its end.
    public func currentLogs() throws(LogSourceError) -> [LineReader] {
        let running = try runningPods().get()
        var readers: [LineReader] = []
        for (label, pod) in running.sorted(by: { $0.key < $1.key }) {
            let process: Process
            let pipe: Pipe
            do { (process, pipe) = try launchLogs(namespace: pod.namespace, pod: pod.pod, container: pod.container, follow: false) } catch {
                throw LogSourceError(source: name, reason: "cannot run kubectl: \(error)")
            }
            // The reader owns a copy of the read end; the parent's write end must close, or
            // the reader would never see the end of the output.
            try? pipe.fileHandleForWriting.close()
            readers.append(LineReader(name: label, descriptor: dup(pipe.fileHandleForReading.fileDescriptor)))
            snapshots.append((label, process))
        }
        return readers
    }

    /// After `currentLogs`' readers are read to their end: the pods whose `kubectl logs`
    /// failed, as one line each.
    public func currentLogFailures() -> [String] {
        defer { snapshots.removeAll() }
        return snapshots.compactMap { label, process in
            process.waitUntilExit()
            return process.terminationStatus == 0 ? nil : "\(name): kubectl logs \(label) exited \(process.terminationStatus)"
        }
    }

    private func relistPods() {
        let running: [String: RunningPod]
        switch runningPods() {
        case .success(let pods): running = pods
        case .failure(let error):
            inbox.add(.error("\(name): \(error.reason); retrying"))
            return
        }
        for (label, process) in followers where running[label] == nil || !process.isRunning {
            if process.isRunning { process.terminate() }
            followers[label] = nil
            if running[label] == nil { inbox.add(.left(label)) }
        }
        for (label, pod) in running where followers[label] == nil {
            if let process = startLogs(label: label, namespace: pod.namespace, pod: pod.pod, container: pod.container) {
                followers[label] = process
                inbox.add(.joined(label))
            }
        }
    }

    /// `kubectl logs` of one container, its output on a pipe: followed from 5 s back, or
    /// what it has logged so far.
    private func launchLogs(namespace: String, pod: String, container: String, follow: Bool) throws -> (Process, Pipe) {
        var arguments: [String] = []
        if let context { arguments += ["--context", context] }
        arguments += ["-n", namespace, "logs"] + (follow ? ["-f", "--since=5s"] : []) + [pod, "-c", container]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [kubectl] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, pipe)
    }

    private func startLogs(label: String, namespace: String, pod: String, container: String) -> Process? {
        let process: Process
        let pipe: Pipe
        do { (process, pipe) = try launchLogs(namespace: namespace, pod: pod, container: container, follow: true) } catch {
            inbox.add(.error("\(name): cannot run kubectl: \(error)"))
            return nil
        }
        let handle = pipe.fileHandleForReading
        let inbox = self.inbox
        Thread {
            var partial: [UInt8] = []
            // A line past the reader's limit is dropped up to its newline and said once,
            // never held whole (as LineReader and FileFollower do).
            var discarding = false
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                var lines: [(String, [UInt8])] = []
                for byte in data {
                    if byte == UInt8(ascii: "\n") {
                        if !discarding { lines.append((label, partial)) }
                        discarding = false
                        partial.removeAll(keepingCapacity: true)
                    } else if !discarding {
                        partial.append(byte)
                        if partial.count > LineReader.defaultMaxLineLength {
                            discarding = true
                            partial.removeAll()
                            inbox.add(.error("\(label): a line over \(LineReader.defaultMaxLineLength) bytes skipped"))
                        }
                    }
                }
                if !lines.isEmpty { inbox.add(lines) }
            }
        }.start()
        return process
    }

    static func run(_ tool: String, _ arguments: [String]) -> (Int32, Data, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return (127, Data(), Data("cannot run \(tool): \(error)".utf8)) }
        // stdout is read to its end before waiting, so a large pod list cannot stall kubectl;
        // its error output is a line or two.
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output, errors)
    }
}
