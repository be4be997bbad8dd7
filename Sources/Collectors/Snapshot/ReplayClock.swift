import Foundation
import Synchronization

/// The clock of `meshtop replay`: the recorded run's time, moving at `speed` times the wall
/// clock while playing, standing while paused, and set by a jump. It never passes the
/// recording's end. The poller's waits are in this time, so at 16× it polls 16 times as often
/// and paused it does not poll at all.
public final class ReplayClock: PollClock {
    /// Where the replay stands, for the header.
    public struct Position: Sendable, Equatable {
        public var time: Date
        public var speed: Double
        public var paused: Bool
        public var atEnd: Bool
        public var start: Date
        public var end: Date
    }

    /// `+` and `-` step through these.
    public static let speeds: [Double] = [0.5, 1, 2, 4, 8, 16]

    private struct State {
        /// The recorded time at `wall`, in seconds since 1970.
        var recorded: Double
        var wall: ContinuousClock.Instant
        var speed: Double
        var paused: Bool
        /// Counts jumps, so that a wait ends at one (the time it waits for may never come).
        var jumps: Int
    }

    public let start: Date
    public let end: Date
    private let state: Mutex<State>

    public init(start: Date, end: Date, at time: Date? = nil, speed: Double = 1) {
        self.start = start
        self.end = max(start, end)
        let from = min(max(time ?? start, start), self.end).timeIntervalSince1970
        state = Mutex(State(recorded: from, wall: .now, speed: speed, paused: false, jumps: 0))
    }

    public func now() -> Date { state.withLock { Date(timeIntervalSince1970: Self.recorded($0, end: end)) } }

    /// How many jumps there have been: a reader of the file rewinds when this changes and the
    /// time went back.
    public var jumps: Int { state.withLock { $0.jumps } }

    public var position: Position {
        state.withLock { state in
            let time = Self.recorded(state, end: end)
            return Position(
                time: Date(timeIntervalSince1970: time), speed: state.speed, paused: state.paused,
                atEnd: time >= end.timeIntervalSince1970, start: start, end: end)
        }
    }

    public func sleep(for duration: Duration) async {
        let (target, jumps) = state.withLock { (Self.recorded($0, end: end) + duration.inSeconds, $0.jumps) }
        while !Task.isCancelled {
            let (now, speed, paused, jumped) = state.withLock { (Self.recorded($0, end: end), $0.speed, $0.paused, $0.jumps != jumps) }
            if now >= target || jumped { return }
            // In wall time, at most a tenth of a second: a key can change the speed meanwhile.
            let wall = paused || now >= end.timeIntervalSince1970 ? 0.1 : min(0.1, (target - now) / speed)
            try? await Task.sleep(for: .milliseconds(max(1, Int(wall * 1_000))))
        }
    }

    /// `p`: play or pause.
    public func toggle() { change { $0.paused.toggle() } }

    /// `+` / `-`: the next speed up or down, within `speeds`.
    public func faster() { change { state in state.speed = Self.speeds.first { $0 > state.speed } ?? Self.speeds.last! } }
    public func slower() { change { state in state.speed = Self.speeds.last { $0 < state.speed } ?? Self.speeds.first! } }

    /// `[` / `]`: seconds back or on, within the recording.
    public func jump(by seconds: Double) {
        change { state in
            state.recorded = min(max(Self.recorded(state, end: end) + seconds, start.timeIntervalSince1970), end.timeIntervalSince1970)
            state.jumps += 1
        }
    }

    /// `g`: to a moment, within the recording.
    public func jump(to time: Date) {
        change { state in
            state.recorded = min(max(time, start), end).timeIntervalSince1970
            state.jumps += 1
        }
    }

    /// `g`'s text as a moment: `+DURATION` from the start, a clock time (`15:04:05` or
    /// `15:04`, in `timeZone`, on the day it falls within the recording), or RFC 3339; nil
    /// when it is none of these.
    public func moment(_ text: String, timeZone: TimeZone = .current) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("+") {
            // `1m30s` as Prometheus writes durations, or `90s`, `1.5m` as the flags take them.
            let offset = String(text.dropFirst())
            return (RateSpan.seconds(offset) ?? DurationText.parse(offset)?.inSeconds).map { start.addingTimeInterval($0) }
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        if (2...3).contains(parts.count), !parts.contains(nil), parts[0]! < 24, parts[1]! < 60, (parts.count == 2 || parts[2]! < 60) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let seconds = Double(parts[0]! * 3_600 + parts[1]! * 60 + (parts.count == 3 ? parts[2]! : 0))
            let day = calendar.startOfDay(for: start)
            // A run past midnight: the time of the day after, when the start's day lacks it.
            let first = day.addingTimeInterval(seconds)
            return first < start.addingTimeInterval(-1) ? first.addingTimeInterval(86_400) : first
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// Changes the state from the time it stands at now.
    private func change(_ body: (inout State) -> Void) {
        state.withLock { state in
            state.recorded = Self.recorded(state, end: end)
            state.wall = .now
            body(&state)
        }
    }

    private static func recorded(_ state: State, end: Date) -> Double {
        guard !state.paused else { return state.recorded }
        let elapsed = (ContinuousClock.now - state.wall).inSeconds
        return min(state.recorded + elapsed * state.speed, max(state.recorded, end.timeIntervalSince1970))
    }
}
