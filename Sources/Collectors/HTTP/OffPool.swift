import Foundation

/// Runs a blocking call (a libcurl transfer) on a thread of its own. Blocking a thread of
/// Swift's cooperative pool would stall every other task on a two-core machine, the HTTP
/// servers of the same process included.
public enum OffPool {
    public static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = "meshtop-blocking"
            thread.start()
        }
        return try result.get()
    }
}
