#if canImport(Glibc)
import Glibc
#endif

/// Sleeps until a log input may have something new: inotify for files (their directory is
/// watched, so a rotated file's successor wakes it too), poll(2) for pipes, and a wake-up
/// pipe that other threads (kubectl's readers) write to. Readers never sleep-poll; the
/// timeout only bounds how long a change inotify cannot see (a network file system) waits.
public final class LogWaiter: Sendable {
    private let inotify: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32

    public init() {
        inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            }
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
    }

    deinit {
        for descriptor in [inotify, wakeRead, wakeWrite] where descriptor >= 0 { close(descriptor) }
    }

    /// Wakes on writes, creations, renames and truncations in the file's directory.
    public func watch(file path: String) {
        guard inotify >= 0 else { return }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        // Adding the same directory again returns the watch it has: no duplicates.
        _ = inotify_add_watch(
            inotify, directory, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE | IN_OPEN))
    }

    /// Ends the current or next `wait` at once; safe from any thread.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Returns when a watched file changed, one of `descriptors` is readable, `wake` was
    /// called, or `timeout` passed.
    public func wait(readable descriptors: [Int32], timeout: Duration) {
        var polled = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        polled.append(pollfd(fd: inotify, events: Int16(POLLIN), revents: 0))
        polled.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        let milliseconds = Int32(clamping: max(0, timeout.wholeMilliseconds))
        guard poll(&polled, nfds_t(polled.count), milliseconds) > 0 else { return }
        // Drained, so the next wait sleeps again; what changed is for the reader to find.
        var buffer = [UInt8](repeating: 0, count: 4096)
        for descriptor in [inotify, wakeRead] where descriptor >= 0 {
            while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress!, $0.count) }) > 0 {}
        }
    }
}
