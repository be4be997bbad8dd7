import Foundation
import Synchronization

/// `k8s:[NAMESPACE/]SELECTOR`: the istio-proxy (or ztunnel) logs of every running pod the selector matches.
///
/// Pods are listed with kubectl every `relist` interval, on a thread of the source's own so
/// that the reader's thread (which may tail files too) never waits for the API server; each
/// running pod gets one `kubectl logs -f --since=…` of its `istio-proxy` container (`ztunnel`
/// in ambient's node proxies, the only container when the pod has one), new pods join and gone pods are dropped. A kubectl
/// failure is reported and retried at the next listing, never fatal. Lines are labelled
/// `namespace/pod`.
public final class KubernetesSource: Sendable {
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

    /// What the lister thread, `stop()` and `currentLogs` share.
    private struct Processes {
        var started = false
        var stopped = false
        /// The `kubectl get pods` in flight, so that `stop()` need not wait for it.
        var listing: Subprocess?
        var followers: [String: Subprocess] = [:]
        /// The `kubectl logs` runs of `currentLogs`, by pod, kept to read their exit status.
        var snapshots: [(label: String, process: Subprocess)] = []
    }

    private let processes = Mutex(Processes())
    /// Signalled by `stop()` alone: cuts the lister's wait for the next listing short.
    private let stopping = DispatchSemaphore(value: 0)

    /// Filled by the lister and by the reader threads of the `kubectl logs` processes,
    /// drained by `poll`.
    private final class Inbox: Sendable {
        let state = Mutex<(lines: [(String, [UInt8])], events: [Event])>(([], []))
        let wake: (@Sendable () -> Void)?
        init(wake: (@Sendable () -> Void)?) { self.wake = wake }
        func add(_ event: Event) {
            state.withLock { $0.events.append(event) }
            wake?()
        }
        func add(_ lines: [(String, [UInt8])]) {
            state.withLock { $0.lines += lines }
            wake?()
        }
    }

    private let inbox: Inbox

    /// - Parameters:
    ///   - namespace: the `-n` default when the source names none.
    ///   - wake: called (on one of the source's threads) whenever lines or events arrive,
    ///     so a reader can wait for them instead of polling on a timer.
    public init(
        target: Target, context: String?, namespace: String?, relist: Duration = .seconds(5), kubectl: String = "kubectl",
        wake: (@Sendable () -> Void)? = nil
    ) {
        self.target = target
        self.name = "k8s:" + (target.namespace.map { $0 + "/" } ?? "") + target.selector
        self.context = context
        self.namespaceFlag = target.namespace ?? namespace
        self.relist = relist
        self.kubectl = kubectl
        self.inbox = Inbox(wake: wake)
    }

    deinit { stop() }

    /// Starts listing pods and following them, on the source's own threads; `poll` does it
    /// too, so calling this is needed only to start before the first poll.
    public func start() {
        let first = processes.withLock { state in
            defer { state.started = true }
            return !state.started && !state.stopped
        }
        guard first else { return }
        let (relist, stopping) = (self.relist, self.stopping)
        // The thread holds the source weakly: one that is let go of without `stop()` still
        // ends (its deinit stops it).
        let thread = Thread { [weak self] in
            while Self.listOnce(self) {
                if stopping.wait(timeout: .now() + .nanoseconds(Int(clamping: Int64(relist.inMilliseconds * 1e6)))) == .success {
                    return
                }
            }
        }
        thread.name = "meshtop-\(name)"
        thread.start()
    }

    /// New lines (labelled by pod) and what changed since the last call. Never waits and
    /// never runs a process: it takes what the source's threads have put in its inbox.
    public func poll() -> (lines: [(source: String, line: [UInt8])], events: [Event]) {
        start()
        return inbox.state.withLock { box in
            defer { box = ([], []) }
            return (box.lines.map { (source: $0.0, line: $0.1) }, box.events)
        }
    }

    /// Stops listing and every `kubectl logs` process.
    public func stop() {
        let (listing, followers, wasStopped) = processes.withLock { state in
            defer {
                state.stopped = true
                state.listing = nil
                state.followers.removeAll()
            }
            return (state.listing, Array(state.followers.values), state.stopped)
        }
        if !wasStopped { stopping.signal() }
        listing?.terminate()
        followers.forEach { $0.terminate() }
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

    /// A pod list of a few thousand pods, with room to spare; a larger answer is an error.
    static let maxPodListBytes = 64 << 20
    static let listTimeout: Duration = .seconds(30)

    /// The running pods the selector matches, by `namespace/pod`, with the container to read;
    /// or why kubectl could not say. Nil once the source is stopped.
    private func runningPods() -> Result<[String: RunningPod], LogSourceError>? {
        let arguments = baseArguments() + ["get", "pods", "-l", target.selector, "-o", "json"]
        let started: Result<Subprocess, SubprocessError>? = processes.withLock { state in
            guard !state.stopped else { return nil }
            let result = Result(catching: { () throws(SubprocessError) -> Subprocess in try Subprocess(kubectl, arguments) })
            state.listing = try? result.get()
            return result
        }
        let listing: Subprocess
        switch started {
        case nil: return nil
        case .failure(let error)?: return .failure(LogSourceError(source: name, reason: error.description))
        case .success(let process)?: listing = process
        }
        let completion = listing.readToEnd(maxBytes: Self.maxPodListBytes, timeout: Self.listTimeout)
        processes.withLock { $0.listing = nil }
        guard completion.status == 0, !completion.outputTruncated,
            let list = try? JSONDecoder().decode(PodList.self, from: completion.output)
        else {
            let reason =
                completion.timedOut ? "kubectl get pods took over \(Self.listTimeout)"
                : completion.outputTruncated ? "kubectl get pods: a pod list over \(Self.maxPodListBytes) bytes"
                : completion.errorLines.first ?? "kubectl get pods exited \(completion.status)"
            return .failure(LogSourceError(source: name, reason: ControlBytes.sanitize(reason)))
        }
        var running: [String: RunningPod] = [:]
        for pod in list.items where pod.status?.phase == "Running" {
            let names = pod.spec?.containers?.map(\.name) ?? []
            guard let container = Self.logContainer(names) else { continue }
            let namespace = pod.metadata.namespace ?? namespaceFlag ?? "default"
            running["\(namespace)/\(pod.metadata.name)"] = (namespace, pod.metadata.name, container)
        }
        return .success(running)
    }

    /// The container whose log is the access log: a sidecar's `istio-proxy`, ambient's
    /// node proxy `ztunnel` (whatever else its pod runs), or a pod's only container.
    public static func logContainer(_ names: [String]) -> String? {
        if names.contains("istio-proxy") { return "istio-proxy" }
        if names.contains("ztunnel") { return "ztunnel" }
        return names.count == 1 ? names[0] : nil
    }

    /// What each running pod has logged so far (`kubectl logs` without -f, as
    /// `meshtop logs --no-follow` wants): one reader per pod, named `namespace/pod`, sorted
    /// by name. The kubectl processes end as their output is read to its end. Runs kubectl
    /// on the caller's thread: a one-shot read, not a follow.
    public func currentLogs() throws(LogSourceError) -> [LineReader] {
        guard let listed = runningPods() else { return [] }
        let running = try listed.get()
        var readers: [LineReader] = []
        for (label, pod) in running.sorted(by: { $0.key < $1.key }) {
            let process: Subprocess
            do {
                process = try launchLogs(namespace: pod.namespace, pod: pod.pod, container: pod.container, follow: false)
            } catch {
                throw LogSourceError(source: name, reason: error.description)
            }
            // The reader owns a copy of the read end; the subprocess closes its own.
            readers.append(LineReader(name: label, descriptor: dup(process.output!.fileDescriptor)))
            processes.withLock { $0.snapshots.append((label, process)) }
        }
        return readers
    }

    /// After `currentLogs`' readers are read to their end: the pods whose `kubectl logs`
    /// failed, as one line each.
    public func currentLogFailures() -> [String] {
        let snapshots = processes.withLock { state in
            defer { state.snapshots.removeAll() }
            return state.snapshots
        }
        return snapshots.compactMap { label, process in
            let status = process.waitForExit() ?? -1
            return status == 0 ? nil : "\(name): kubectl logs \(label) exited \(status)"
        }
    }

    /// One listing and the follows it starts or ends; false once there is no source or it
    /// is stopped. Static, so the lister thread holds the source only while it lists.
    private static func listOnce(_ source: KubernetesSource?) -> Bool {
        guard let source else { return false }
        return source.relistPods()
    }

    private func relistPods() -> Bool {
        let running: [String: RunningPod]
        switch runningPods() {
        case nil: return false
        case .success(let pods): running = pods
        case .failure(let error):
            // A listing cut short by `stop()` is no failure to report.
            guard !processes.withLock({ $0.stopped }) else { return false }
            inbox.add(.error("\(name): \(error.reason); retrying"))
            return true
        }
        var ended: [Subprocess] = []
        var events: [Event] = []
        let stillRunning = processes.withLock { state -> Bool in
            guard !state.stopped else { return false }
            for (label, process) in state.followers where running[label] == nil || !process.isRunning {
                ended.append(process)
                state.followers[label] = nil
                if running[label] == nil { events.append(.left(label)) }
            }
            for (label, pod) in running.sorted(by: { $0.key < $1.key }) where state.followers[label] == nil {
                do {
                    state.followers[label] = try startLogs(label: label, namespace: pod.namespace, pod: pod.pod, container: pod.container)
                    events.append(.joined(label))
                } catch {
                    events.append(.error("\(name): \(error)"))
                }
            }
            return true
        }
        ended.forEach { $0.terminate() }
        for event in events { inbox.add(event) }
        return stillRunning
    }

    /// `kubectl logs` of one container, its output on a pipe: followed from 5 s back, or
    /// what it has logged so far.
    private func launchLogs(namespace: String, pod: String, container: String, follow: Bool) throws(SubprocessError) -> Subprocess {
        var arguments: [String] = []
        if let context { arguments += ["--context", context] }
        arguments += ["-n", namespace, "logs"] + (follow ? ["-f", "--since=5s"] : []) + [pod, "-c", container]
        return try Subprocess(kubectl, arguments)
    }

    private func startLogs(label: String, namespace: String, pod: String, container: String) throws(SubprocessError) -> Subprocess {
        let process = try launchLogs(namespace: namespace, pod: pod, container: container, follow: true)
        let handle = process.output!
        let inbox = self.inbox
        let thread = Thread {
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
        }
        thread.name = "meshtop-logs \(label)"
        thread.start()
        return process
    }
}
