import Collectors
import Foundation
import Synchronization
import Testing

/// `meshtop replay`'s clock: the recorded time at a speed, paused, jumped, bounded by the file.
@Suite struct ReplayClockTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)
    static let end = start.addingTimeInterval(300)

    @Test func pausedItStandsPlayingItMovesAtItsSpeed() async throws {
        let clock = ReplayClock(start: Self.start, end: Self.end, speed: 16)
        clock.toggle()
        let stood = clock.now()
        try await Task.sleep(for: .milliseconds(50))
        #expect(clock.now() == stood && clock.position.paused)
        clock.toggle()
        // At 16×, a recorded second passes within a wall second on any machine.
        let wall = ContinuousClock.now
        while clock.now().timeIntervalSince(stood) < 4, ContinuousClock.now - wall < .seconds(10) {
            try await Task.sleep(for: .milliseconds(5))
        }
        // Four recorded seconds in under four wall seconds: faster than 1× (a quarter second at 16×).
        #expect(clock.now().timeIntervalSince(stood) >= 4)
        #expect(ContinuousClock.now - wall < .seconds(4))
    }

    @Test func speedsStepWithinTheirRangeAndJumpsStayInTheFile() {
        let clock = ReplayClock(start: Self.start, end: Self.end)
        clock.toggle()
        for _ in 0..<10 { clock.faster() }
        #expect(clock.position.speed == 16)
        for _ in 0..<10 { clock.slower() }
        #expect(clock.position.speed == 0.5)
        clock.jump(by: 90)
        #expect(abs(clock.now().timeIntervalSince(Self.start) - 90) < 0.001)
        clock.jump(by: -600)
        #expect(clock.now() == Self.start && clock.jumps == 2)
        clock.jump(to: Self.end.addingTimeInterval(3_600))
        #expect(clock.now() == Self.end && clock.position.atEnd)
        // Playing at the end, it stays there.
        clock.toggle()
        #expect(clock.now() == Self.end)
    }

    @Test func gReadsAnOffsetATimeOfDayOrRFC3339() throws {
        let clock = ReplayClock(start: Self.start, end: Self.end)
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(clock.moment("+1m30s") == Self.start.addingTimeInterval(90))
        #expect(clock.moment("+90s") == Self.start.addingTimeInterval(90))
        // 1_780_000_000 is 20:26:40 UTC.
        #expect(clock.moment("20:28:00", timeZone: utc) == Self.start.addingTimeInterval(80))
        #expect(clock.moment("20:28", timeZone: utc) == Self.start.addingTimeInterval(80))
        #expect(clock.moment("2026-05-28T20:27:00Z") == Self.start.addingTimeInterval(20))
        for bad in ["soon", "+x", "25:00", "12:61", ""] { #expect(clock.moment(bad) == nil, "\(bad)") }
    }

    @Test func aWaitEndsAtAJump() async {
        let clock = ReplayClock(start: Self.start, end: Self.end)
        clock.toggle()
        let done = Mutex(false)
        let waiting = Task {
            await clock.sleep(for: .seconds(3_600))
            done.withLock { $0 = true }
        }
        // The wait may begin after a jump: jump on until it has ended (paused, nothing else ends it).
        for _ in 0..<1_000 where !done.withLock({ $0 }) {
            clock.jump(by: 1)
            try? await Task.sleep(for: .milliseconds(10))
        }
        await waiting.value
        #expect(done.withLock { $0 })
        #expect(clock.now() > Self.start && clock.now() < Self.start.addingTimeInterval(1_000))
    }
}
