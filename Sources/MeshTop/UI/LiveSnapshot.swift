import Collectors
import Synchronization

/// The newest Snapshot, handed from the poller's tasks to the UI thread.
final class LiveSnapshot: Sendable {
    private let state = Mutex<(snapshot: Snapshot?, generation: Int)>((nil, -1))

    /// Cheap to ask ten times a second; `latest` copies the snapshot out.
    var generation: Int { state.withLock { $0.generation } }

    var latest: (snapshot: Snapshot, generation: Int)? {
        state.withLock { state in state.snapshot.map { ($0, state.generation) } }
    }

    func publish(_ snapshot: Snapshot, generation: Int) {
        state.withLock { $0 = (snapshot, generation) }
    }

    /// Publishes the poller's snapshot after every poll.
    static func follow(_ poller: Poller, into live: LiveSnapshot) async {
        await poller.observe { snapshot, generation in live.publish(snapshot, generation: generation) }
    }
}
