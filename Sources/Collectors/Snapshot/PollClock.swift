import Foundation
import Synchronization

/// The poller's time: the wall clock when it polls live, a recording's time when it polls a
/// replay (`meshtop snapshot --from`), so every "now" of a snapshot and every wait between
/// polls follows the run being looked at.
public protocol PollClock: Sendable {
    func now() -> Date
    /// Waits `duration` of this clock's time.
    func sleep(for duration: Duration) async
}

/// The wall clock.
public struct WallClock: PollClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async { try? await Task.sleep(for: duration) }
}

/// A clock that moves only when it sleeps or is set: a replay's polls, one interval of the
/// recorded run apart, come as fast as they can be answered.
public final class SteppedClock: PollClock {
    private let time: Mutex<Date>

    public init(_ start: Date) { time = Mutex(start) }

    public func now() -> Date { time.withLock { $0 } }

    public func sleep(for duration: Duration) async {
        time.withLock { $0 = $0.addingTimeInterval(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) }
    }
}
