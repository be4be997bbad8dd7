import DequeModule
import Foundation

/// Runs a blocking call (a kubectl run, a test's one-shot transfer) on a thread outside Swift's
/// cooperative pool. Blocking a thread of that pool would stall every other task on a
/// two-core machine, the HTTP servers of the same process included.
///
/// Threads are kept and reused: starting one for each call cost more than many of the
/// calls. A call never waits for a busy thread: without an idle one, a new thread starts,
/// so a slow call delays no other. (HTTP exchanges run on `CurlLoop` instead.)
public enum OffPool {
    private static let workers = Workers()

    public static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            workers.submit {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private final class Workers: @unchecked Sendable {
        /// Guards `jobs` and `idle`; idle threads wait on it.
        private let condition = NSCondition()
        private var jobs: Deque<@Sendable () -> Void> = []
        private var idle = 0

        func submit(_ job: @escaping @Sendable () -> Void) {
            condition.lock()
            jobs.append(job)
            // Each idle thread takes one job; more jobs than idle threads start new threads.
            let startThread = jobs.count > idle
            condition.signal()
            condition.unlock()
            if startThread {
                let thread = Thread { [self] in work() }
                thread.name = "meshtop-blocking"
                thread.start()
            }
        }

        private func work() {
            while true {
                condition.lock()
                while jobs.isEmpty {
                    idle += 1
                    condition.wait()
                    idle -= 1
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
    }
}
