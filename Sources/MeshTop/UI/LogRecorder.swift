import Collectors
import Foundation
import Synchronization

/// Follows the logs on a thread of its own and keeps each line in the recording.
final class LogRecorder: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(sources: [String], format: AccessLogDecoder.Choice, context: String?, writer: RecordingWriter) throws(LogSourceError) {
        let inputs = try LogInputs(sources: sources, fromStart: false, format: format, context: context)
        nonisolated(unsafe) let owned = inputs  // read by the thread alone from here on
        let thread = Thread { [self] in
            defer {
                owned.stop()
                self.finished.signal()
            }
            while !self.stopping.load(ordering: .relaxed) {
                let read = owned.read { bytes, source, _ in writer.addLogLine(source: source, bytes) }
                if read.lines == 0 { owned.wait(upTo: .milliseconds(200)) }
            }
        }
        thread.name = "meshtop-record-logs"
        thread.start()
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }
}
