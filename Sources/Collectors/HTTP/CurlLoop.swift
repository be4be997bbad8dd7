import CCurl
import Foundation

/// The one thread that runs every one-shot exchange of the process (each `CurlHTTPClient`'s
/// requests: a poll's queries, probes, the service's calls) on one multi handle.
///
/// A poll sends about ten requests at once. With a blocking thread for each, those threads
/// woke, ran and slept in turn on two cores, queueing behind each other and behind the
/// servers answering them; here one thread waits on all their sockets in one `poll(2)`, and
/// the connections of every client sit in one cache.
final class CurlLoop: @unchecked Sendable {
    /// The shared loop, started the first time a request is sent; the error when libcurl
    /// could not make its multi handle.
    static let shared: Result<CurlLoop, CurlError> = Result { () throws(CurlError) in try CurlLoop() }

    /// One exchange handed to the loop: its prepared handle and who waits for its result.
    private final class Job: CurlMultiTransfer {
        let handle: CurlEasy
        let done: CheckedContinuation<CURLcode, Never>
        var easy: UnsafeMutableRawPointer { handle.raw }

        init(_ handle: CurlEasy, _ done: CheckedContinuation<CURLcode, Never>) {
            self.handle = handle
            self.done = done
        }
    }

    /// Touched by the loop's thread only, but for `wakeUp`.
    private let multi: CurlMulti<Job>
    /// Guards `submitted`: jobs handed over by other threads, not yet added.
    private let lock = NSLock()
    private var submitted: [Job] = []

    /// Connections kept open for reuse across every client: a poll's peers (Prometheus,
    /// each etcd member, the service) with room for a poll's concurrent queries to each.
    static let keptConnections = 64

    /// With nothing under way the thread sleeps this long between looks (a submission
    /// wakes it at once), so an idle process costs no wake-ups.
    static let idleMilliseconds = 60_000

    private init() throws(CurlError) {
        multi = try CurlMulti(connections: Self.keptConnections)
        let thread = Thread { [self] in run() }
        thread.name = "meshtop-curl"
        thread.start()
    }

    /// Runs a prepared exchange; libcurl's result of it.
    func perform(_ handle: CurlEasy) async -> CURLcode {
        await withCheckedContinuation { continuation in
            lock.withLock { submitted.append(Job(handle, continuation)) }
            multi.wakeUp()
        }
    }

    private func run() {
        while true {
            let jobs = lock.withLock {
                defer { submitted.removeAll(keepingCapacity: true) }
                return submitted
            }
            for job in jobs {
                do throws(CurlError) {
                    try multi.add(job)
                } catch {
                    job.done.resume(returning: CURLE_FAILED_INIT)
                }
            }
            do throws(CurlError) {
                try multi.perform()
                for (job, code) in multi.finishedWithCodes() { job.done.resume(returning: code) }
                try multi.wait(milliseconds: multi.running == 0 ? Self.idleMilliseconds : 1_000)
            } catch {
                // curl_multi_perform and curl_multi_poll fail only on a bad handle or out of
                // memory; every exchange under way fails rather than hang.
                for job in multi.abandonAll() { job.done.resume(returning: CURLE_FAILED_INIT) }
            }
        }
    }
}
