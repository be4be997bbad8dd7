/// The access logs one reader follows (`meshtop logs` with --follow, the dashboard's
/// --logs): files like `tail -F`, stdin and FIFOs, and `k8s:` selectors, each input with
/// its own decoder (pods may run different Istio versions). Read in turns by one thread,
/// which sleeps in `wait` until one of them may have more.
/// Not thread-safe: one reader reads and waits.
public final class LogInputs {
    /// What changed about an input, for the user to see.
    public enum Note: Sendable, Equatable {
        case waitingForWriter(String)
        case writerConnected(String)
        case joined(String)
        case left(String)
        case failed(String)

        public var text: String {
            switch self {
            case .waitingForWriter(let path): "\(path): waiting for a writer"
            case .writerConnected(let path): "\(path): writer connected"
            case .joined(let pod): "+ \(pod)"
            case .left(let pod): "- \(pod)"
            case .failed(let message): message
            }
        }
    }

    private struct File {
        let follower: FileFollower
        var decoder: AccessLogDecoder
        var waiting = false
    }

    private var files: [File] = []
    private let clusters: [KubernetesSource]
    private var podDecoders: [String: AccessLogDecoder] = [:]
    private let format: AccessLogDecoder.Choice
    private let waiter = LogWaiter()

    /// Opens every source: a path (`-` for stdin) or `k8s:[NAMESPACE/]SELECTOR`; the first
    /// that cannot be opened is the error.
    public init(
        sources: [String], fromStart: Bool, format: AccessLogDecoder.Choice, context: String? = nil, namespace: String? = nil,
        relist: Duration = .seconds(5)
    ) throws(LogSourceError) {
        self.format = format
        var clusters: [KubernetesSource] = []
        let waiter = self.waiter
        for source in sources {
            if let target = KubernetesSource.Target(source) {
                // kubectl's output is read by the source's own threads: they wake the reader.
                clusters.append(
                    KubernetesSource(target: target, context: context, namespace: namespace, relist: relist, wake: { waiter.wake() }))
            } else {
                let follower = try FileFollower(path: source, fromStart: fromStart)
                files.append(File(follower: follower, decoder: AccessLogDecoder(format)))
                if case .changes(let path) = follower.readiness { waiter.watch(file: path) }
            }
        }
        self.clusters = clusters
        clusters.forEach { $0.start() }
        // Opening the inputs was itself a change in their directories; the first `read`
        // sees what they hold, so that is no reason to wake.
        waiter.wait(readable: [], timeout: .zero)
    }

    deinit { stop() }

    /// Lines the decoders could not read, and lines too long to keep, over every input.
    public var malformed: Int {
        files.reduce(0) { $0 + $1.decoder.malformed + $1.follower.overlongLines } + podDecoders.values.reduce(0) { $0 + $1.malformed }
    }

    public var malformedSamples: [String] { files.flatMap(\.decoder.malformedSamples) + podDecoders.values.flatMap(\.malformedSamples) }

    /// Reads what every input holds now; `take` gets each line, its input's name and that
    /// input's decoder. Returns how many lines were read and what changed about the inputs.
    @discardableResult
    public func read(_ take: (UnsafeBufferPointer<UInt8>, _ source: String, inout AccessLogDecoder) -> Void) -> (lines: Int, notes: [Note]) {
        var count = 0
        var notes: [Note] = []
        for index in files.indices {
            let follower = files[index].follower
            for line in follower.poll() {
                count += 1
                line.withUnsafeBufferPointer { take($0, follower.path, &files[index].decoder) }
            }
            // A FIFO with no writer is waiting, not finished: said while it lasts.
            if follower.waitingForWriter != files[index].waiting {
                files[index].waiting = follower.waitingForWriter
                notes.append(follower.waitingForWriter ? .waitingForWriter(follower.path) : .writerConnected(follower.path))
                if case .changes(let path) = follower.readiness { waiter.watch(file: path) }
            }
        }
        for cluster in clusters {
            let (lines, events) = cluster.poll()
            for event in events {
                switch event {
                case .joined(let pod): notes.append(.joined(pod))
                case .left(let pod): notes.append(.left(pod))
                case .error(let message): notes.append(.failed(message))
                }
            }
            for (pod, line) in lines {
                count += 1
                var decoder = podDecoders.removeValue(forKey: pod) ?? AccessLogDecoder(format)
                line.withUnsafeBufferPointer { take($0, pod, &decoder) }
                podDecoders[pod] = decoder
            }
        }
        return (count, notes)
    }

    /// Sleeps until an input may have more, at most `timeout`.
    public func wait(upTo timeout: Duration) {
        var readable: [Int32] = []
        for file in files {
            if case .readable(let descriptor) = file.follower.readiness { readable.append(descriptor) }
        }
        waiter.wait(readable: readable, timeout: timeout)
    }

    /// Ends a `wait` from another thread.
    public func wake() { waiter.wake() }

    /// Stops the `kubectl logs` processes.
    public func stop() { clusters.forEach { $0.stop() } }
}
