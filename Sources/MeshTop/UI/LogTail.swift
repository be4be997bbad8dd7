import ArgumentParser
import Collectors
import Foundation
import Synchronization

/// Reads the dashboard's `--logs` sources on a thread of its own and keeps the Requests
/// feed; the UI thread takes a copy when it draws. Files are followed like `tail -F`, from
/// their end; `k8s:` sources follow the matching pods' istio-proxy containers.
final class LogTail: Sendable {
    struct State: Sendable {
        var feed = RequestFeed()
        /// Bumped on every change, so the UI redraws only when something arrived.
        var generation = 0
        var notes: [String] = []
    }

    let sources: [String]
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    private let format: AccessLogDecoder.Choice
    private let context: String?
    private let namespace: String?

    init(sources: [String], format: AccessLogDecoder.Choice, context: String?, namespace: String?) {
        self.sources = sources
        self.format = format
        self.context = context
        self.namespace = namespace
    }

    var current: State { state.withLock { $0 } }
    var generation: Int { state.withLock { $0.generation } }

    /// Opens every source (an error for one that cannot be opened) and starts reading.
    func start(fromStart: Bool = false) throws {
        var files: [FileFollower] = []
        var clusters: [KubernetesSource] = []
        for source in sources {
            if let target = KubernetesSource.Target(source) {
                clusters.append(KubernetesSource(target: target, context: context, namespace: namespace))
            } else {
                do {
                    files.append(try FileFollower(path: source, fromStart: fromStart))
                } catch {
                    throw ValidationError("--logs \(source): \(error.description)")
                }
            }
        }
        // The followers are used by this thread alone from here on.
        nonisolated(unsafe) let ownedFiles = files
        let ownedClusters = clusters
        let thread = Thread { [self] in self.read(files: ownedFiles, clusters: ownedClusters) }
        thread.name = "meshtop-logs"
        thread.start()
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    /// A line from inside meshtop (the load generator's client side), paired like the rest.
    func add(_ record: AccessLogRecord, line: String) {
        state.withLock { state in
            state.feed.add(record, line: line)
            state.generation += 1
        }
    }

    private func read(files: [FileFollower], clusters: [KubernetesSource]) {
        var decoders = files.map { _ in AccessLogDecoder(format) }
        var podDecoders: [String: AccessLogDecoder] = [:]
        var overlong = files.map { _ in 0 }
        var waiting = files.map { _ in false }
        while !stopping.load(ordering: .relaxed) {
            var batch: [(AccessLogRecord, String)] = []
            var notes: [String] = []
            var malformed = 0
            func take(_ line: [UInt8], source: String, decoder: inout AccessLogDecoder) {
                let before = decoder.malformed
                let record = line.withUnsafeBufferPointer { decoder.decode(bytes: $0) }
                malformed += decoder.malformed - before
                guard var record else { return }
                record.source = source
                batch.append((record, String(decoding: line, as: UTF8.self)))
            }
            for (index, file) in files.enumerated() {
                for line in file.poll() { take(line, source: file.path, decoder: &decoders[index]) }
                // Lines too long to keep were skipped by the follower: malformed too.
                malformed += file.overlongLines - overlong[index]
                overlong[index] = file.overlongLines
                // A FIFO with no writer is waiting, not broken: said in the notes while it lasts.
                if file.waitingForWriter != waiting[index] {
                    waiting[index] = file.waitingForWriter
                    notes.append(file.waitingForWriter ? "\(file.path): waiting for a writer" : "\(file.path): writer connected")
                }
            }
            for cluster in clusters {
                let (lines, events) = cluster.poll()
                for event in events {
                    switch event {
                    case .joined(let pod): notes.append("+ \(pod)")
                    case .left(let pod): notes.append("- \(pod)")
                    case .error(let message): notes.append(message)
                    }
                }
                for (pod, line) in lines {
                    var decoder = podDecoders[pod] ?? AccessLogDecoder(format)
                    take(line, source: pod, decoder: &decoder)
                    podDecoders[pod] = decoder
                }
            }
            if !batch.isEmpty || malformed > 0 || !notes.isEmpty {
                state.withLock { state in
                    for (record, line) in batch { state.feed.add(record, line: line) }
                    state.feed.malformed += malformed
                    state.notes = Array((state.notes + notes).suffix(5))
                    state.generation += 1
                }
            } else {
                // The poll interval of tail -F, not a synchronisation: a quarter of the
                // dashboard's once-a-second redraw, so a new line makes the next frame.
                usleep(250_000)
            }
        }
        clusters.forEach { $0.stop() }
    }
}
