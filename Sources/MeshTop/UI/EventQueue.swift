import DequeModule
import Foundation

/// The dashboard's one hand-off between threads: the poller, the log reader, the load
/// generator and the key reader post; the UI thread takes events one at a time.
///
/// Bounded: a newer snapshot or load status replaces one not yet taken (only the newest
/// is ever drawn), and request batches past `maxPendingRequests` pairing events push out
/// the oldest batch (the Requests panel keeps 1,000 rows; counts travel in every batch).
final class EventQueue: @unchecked Sendable {
    static let maxPendingRequests = 50_000

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: Deque<DashboardEvent> = []
    private var pendingRequests = 0

    func post(_ event: DashboardEvent) {
        condition.lock()
        defer {
            condition.signal()
            condition.unlock()
        }
        switch event {
        case .snapshot:
            if let at = pending.firstIndex(where: { if case .snapshot = $0 { true } else { false } }) {
                pending[at] = event
                return
            }
        case .load:
            if let at = pending.firstIndex(where: { if case .load = $0 { true } else { false } }) {
                pending[at] = event
                return
            }
        case .requests(let batch):
            pendingRequests += batch.events.count
            while pendingRequests > Self.maxPendingRequests,
                let at = pending.firstIndex(where: { if case .requests = $0 { true } else { false } })
            {
                if case .requests(let old) = pending.remove(at: at) { pendingRequests -= old.events.count }
            }
        case .key, .resize, .tick: break
        }
        pending.append(event)
    }

    /// The next event, waiting for one; `.tick` when `deadline` comes first.
    func next(tickAt deadline: Date) -> DashboardEvent {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty {
            if Date() >= deadline || !condition.wait(until: deadline) {
                if pending.isEmpty { return .tick(Date()) }
            }
        }
        let event = pending.removeFirst()
        if case .requests(let batch) = event { pendingRequests -= batch.events.count }
        return event
    }
}
