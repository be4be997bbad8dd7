import Glibc

/// SIGINT, SIGTERM and SIGHUP as a flag that long-running loops poll, so they can stop their
/// child processes and flush output before exiting instead of dying mid-write.
enum StopSignal {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    static var requested: Bool { raised != 0 }

    static func install() {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // Only an async-signal-safe store happens in the handler.
            Glibc.signal(signal) { _ in StopSignal.raised = 1 }
        }
    }
}
