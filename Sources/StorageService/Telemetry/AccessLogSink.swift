#if canImport(Glibc)
import Glibc
#endif

/// Appends access-log lines to a file or stdout. Each line is one write(2) on an
/// O_APPEND descriptor, so lines from concurrent requests never interleave and no lock
/// is needed.
struct AccessLogSink: Sendable {
    private let descriptor: Int32

    static let stdout = AccessLogSink(descriptor: STDOUT_FILENO)

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Opens (and creates) the file for appending; the descriptor lives as long as the process.
    init(path: String) throws(ServiceConfigError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ServiceConfigError("cannot open access log \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = fd
    }

    func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a full disk must not fail the request it describes
                }
                offset += written
            }
        }
    }
}
