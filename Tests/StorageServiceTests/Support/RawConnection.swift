import Collectors
import TestSupport
import Foundation
import Glibc

/// A plain TCP connection to the service, for what an HTTP client library would not send:
/// a head a byte at a time, a short body, a request without Host. Every read is bounded,
/// so a test waits for the server to act (answer, close) but never forever. Blocking calls
/// run off the cooperative pool.
final class RawConnection: @unchecked Sendable {
    enum ReadResult: Equatable {
        case data([UInt8])
        /// The server closed the connection (EOF or reset).
        case closed
        /// Nothing arrived within the bound.
        case timedOut
    }

    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            Glibc.close(fd)
            throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Sends the bytes; false once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    /// One read of whatever has arrived, waiting at most `timeout`.
    func read(timeout: Duration) async -> ReadResult {
        let fd = fd
        let milliseconds = Int32(timeout.inMilliseconds)
        return await OffPool.run { () -> ReadResult in
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            guard ready > 0 else { return .timedOut }
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            let count = recv(fd, &buffer, buffer.count, 0)
            return count > 0 ? .data(Array(buffer[0..<count])) : .closed
        }
    }

    /// Reads until `done` holds for what arrived, the server closes, or `timeout` passes.
    /// Returns the bytes and whether the connection was closed.
    func read(until done: ([UInt8]) -> Bool = { _ in false }, timeout: Duration) async -> (bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while !done(bytes) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return (bytes, false) }
            switch await read(timeout: left) {
            case .data(let more): bytes += more
            case .closed: return (bytes, true)
            case .timedOut: return (bytes, false)
            }
        }
        return (bytes, false)
    }

    /// Waits for the server to close the connection; the time it took, or nil if it did not within `timeout`.
    func timeUntilClosed(timeout: Duration) async -> Duration? {
        let started = ContinuousClock.now
        let (_, closed) = await read(timeout: timeout)
        return closed ? ContinuousClock.now - started : nil
    }

    /// Reads one whole response (head, then a Content-Length body).
    func response(timeout: Duration = .seconds(5)) async throws -> RawResponse {
        let (bytes, _) = await read(until: { RawResponse(bytes: $0) != nil }, timeout: timeout)
        guard let response = RawResponse(bytes: bytes) else {
            throw TestFailure("no whole response within \(timeout): \(String(decoding: bytes, as: UTF8.self))")
        }
        return response
    }
}
