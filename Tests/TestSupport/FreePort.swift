import Foundation
import Glibc

/// A loopback TCP port nobody listens on right now: bind to port 0 and read what the
/// kernel chose. The port is released before use, so a test reports a clash clearly if
/// another process grabs it in between.
public enum FreePort {
    public static func next() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket() failed")
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        precondition(bound, "bind() on 127.0.0.1:0 failed")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension Process {
    /// Waits at most `seconds` for the process to end, then kills it. Foundation's
    /// waitUntilExit can miss a child's exit when many run at once from async tests (the
    /// child stays a zombie and the wait never returns, seen once in a full run); a test
    /// that stops a server must not hang on it.
    public func waitForExit(within seconds: TimeInterval = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning, Date() < deadline { usleep(10_000) }
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}
