import CCurl
import Glibc

/// A transfer `CurlMulti` can run: what owns the easy handle it names.
public protocol CurlMultiTransfer: AnyObject {
    var easy: UnsafeMutableRawPointer { get }
}

/// The single owner of one libcurl multi handle: many transfers on one thread, driven by
/// `perform` and `wait`, with connections kept alive between transfers. For the load
/// generator (`CurlTransfer`) and for every one-shot exchange of the process (`CurlLoop`),
/// where a thread per request would cost more than the request.
///
/// `curl_multi_socket_action` with epoll was tried in its place: at 64 connections it cost
/// the same CPU per request, and at 256 about 15 % more (one call into curl per ready
/// socket instead of one per turn).
public final class CurlMulti<Transfer: CurlMultiTransfer> {
    private let handle: UnsafeMutableRawPointer
    /// The transfers now added, by their easy handle (what `curl_multi_info_read` names).
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    /// Wakes `wait` at a moment finer than curl_multi_poll's milliseconds: the open
    /// model's next request is often due in less than one.
    private let timer: Int32
    /// Whether the timer was set by the last `wait` (it may have fired unread since).
    private var timerArmed = false

    /// - Parameter connections: how many idle connections curl keeps for reuse; the load
    ///   generator passes its concurrency so no connection is closed between requests.
    public init(connections: Int? = nil) throws(CurlError) {
        try CurlGlobal.initialise()
        guard let handle = curl_multi_init() else {
            throw CurlError(failure: .other, code: -1, message: "libcurl could not make a multi handle")
        }
        let timer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard timer >= 0 else {
            curl_multi_cleanup(handle)
            throw CurlError(failure: .other, code: -1, message: "timerfd_create failed: \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        self.timer = timer
        if let connections { try Self.check(mt_curl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, connections), "setopt") }
    }

    deinit {
        for transfer in active.values { curl_multi_remove_handle(handle, transfer.easy) }
        curl_multi_cleanup(handle)
        close(timer)
    }

    public var running: Int { active.count }

    /// Starts a prepared transfer.
    public func add(_ transfer: Transfer) throws(CurlError) {
        try Self.check(curl_multi_add_handle(handle, transfer.easy), "add_handle")
        active[transfer.easy] = transfer
    }

    /// Moves every transfer as far as it can go without blocking.
    public func perform() throws(CurlError) {
        var running: Int32 = 0
        try Self.check(curl_multi_perform(handle, &running), "perform")
    }

    /// Ends a `wait` under way at once, or the next one; the one call that is safe from
    /// any thread.
    public func wakeUp() {
        _ = curl_multi_wakeup(handle)
    }

    /// Sleeps until a socket is ready, `after` has passed (to the microsecond), or
    /// `milliseconds` pass, or `wakeUp` is called.
    public func wait(milliseconds: Int, after: Duration? = nil) throws(CurlError) {
        // A timer never armed needs no call: `CurlLoop` waits without one on every turn.
        if after != nil || timerArmed {
            var setting = itimerspec()
            if let after {
                // A zero it_value would disarm the timer instead of firing it at once.
                let (seconds, attoseconds) = max(after, .nanoseconds(1)).components
                setting.it_value = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            }
            // Setting the timer also clears an expiry that was not read.
            guard timerfd_settime(timer, 0, &setting, nil) == 0 else {
                throw CurlError(failure: .other, code: -1, message: "timerfd_settime failed: \(String(cString: strerror(errno)))")
            }
            timerArmed = after != nil
        }
        var wake = curl_waitfd(fd: timer, events: Int16(CURL_WAIT_POLLIN), revents: 0)
        var ready: Int32 = 0
        try Self.check(curl_multi_poll(handle, &wake, 1, Int32(max(0, milliseconds)), &ready), "poll")
    }

    /// The transfers that ended since the last call, each with its failure (nil: answered);
    /// they are removed from the multi handle and can be prepared and added again.
    public func finished() -> [(transfer: Transfer, failure: TransferFailure?)] {
        var done: [(Transfer, TransferFailure?)] = []
        drainFinished { done.append(($0, TransferFailure(curl: $1))) }
        return done
    }

    /// `finished`, with libcurl's own result of each.
    func finishedWithCodes() -> [(transfer: Transfer, code: CURLcode)] {
        var done: [(Transfer, CURLcode)] = []
        drainFinished { done.append(($0, $1)) }
        return done
    }

    private func drainFinished(_ each: (Transfer, CURLcode) -> Void) {
        var left: Int32 = 0
        while let message = curl_multi_info_read(handle, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = active.removeValue(forKey: easy)
            else { continue }
            let result = message.pointee.data.result
            // Removing a handle this multi handle runs cannot fail.
            precondition(curl_multi_remove_handle(handle, easy) == CURLM_OK)
            each(transfer, result)
        }
    }

    /// Removes every transfer under way, unfinished; they can be prepared and added again.
    func abandonAll() -> [Transfer] {
        let all = Array(active.values)
        for transfer in all { curl_multi_remove_handle(handle, transfer.easy) }
        active.removeAll()
        return all
    }

    private static func check(_ code: CURLMcode, _ call: String) throws(CurlError) {
        guard code != CURLM_OK else { return }
        throw CurlError(
            failure: .other, code: Int(code.rawValue),
            message: "curl_multi_\(call): \(String(cString: curl_multi_strerror(code)).lowercased())")
    }
}
