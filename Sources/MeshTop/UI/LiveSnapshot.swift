import Collectors
import Synchronization

/// The newest Snapshot, handed from the poller's tasks to the UI thread.
final class LiveSnapshot: Sendable {
    private let state = Mutex<(snapshot: Snapshot?, generation: Int)>((nil, -1))

    var current: (snapshot: Snapshot?, generation: Int) { state.withLock { $0 } }

    func publish(_ snapshot: Snapshot, generation: Int) {
        state.withLock { $0 = (snapshot, generation) }
    }

    /// Publishes the poller's snapshot whenever a poll finished, until cancelled.
    static func follow(_ poller: Poller, into live: LiveSnapshot) async {
        var seen = -1
        while !Task.isCancelled {
            let generation = await poller.generation
            if generation != seen {
                seen = generation
                live.publish(await poller.snapshot(), generation: generation)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
