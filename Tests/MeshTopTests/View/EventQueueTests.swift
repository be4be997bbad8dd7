import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The one hand-off into the UI thread: order kept, newest snapshot only, bounded batches.
@Suite struct EventQueueTests {
    func snapshot(_ seconds: Double) -> Snapshot { Snapshot(time: Date(timeIntervalSince1970: seconds), backends: [:]) }
    var far: Date { Date().addingTimeInterval(60) }

    @Test func eventsComeInOrderAndANewerSnapshotReplacesAnOlderOne() {
        let queue = EventQueue()
        queue.post(.snapshot(snapshot(1)))
        queue.post(.key(.tab))
        queue.post(.snapshot(snapshot(2)))
        guard case .snapshot(let first) = queue.next(tickAt: far) else {
            Issue.record("no snapshot first")
            return
        }
        #expect(first.time == Date(timeIntervalSince1970: 2))
        guard case .key(.tab) = queue.next(tickAt: far) else {
            Issue.record("the key was lost")
            return
        }
    }

    @Test func anEmptyQueueTicksAtTheDeadline() {
        let queue = EventQueue()
        guard case .tick = queue.next(tickAt: Date().addingTimeInterval(0.05)) else {
            Issue.record("no tick")
            return
        }
    }

    @Test func aPostFromAnotherThreadWakesTheTaker() {
        let queue = EventQueue()
        Thread { queue.post(.resize) }.start()
        guard case .resize = queue.next(tickAt: far) else {
            Issue.record("no resize")
            return
        }
    }

    @Test func requestBatchesAreBoundedAndTheNewestKept() {
        let queue = EventQueue()
        var record = AccessLogRecord()
        record.requestID = "r"
        let events = Array(repeating: PairingEvent.waiting(LoggedLine(record: record)), count: 20_000)
        for index in 0..<4 {
            var batch = RequestBatch(events: events)
            batch.counts.lines = index
            queue.post(.requests(batch))
        }
        var kept: [Int] = []
        while case .requests(let batch) = queue.next(tickAt: Date()) { kept.append(batch.counts.lines) }
        #expect(kept == [2, 3])
    }
}
