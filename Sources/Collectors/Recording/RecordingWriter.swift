import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes one recording file (`meshtop --record FILE`, `meshtop record FILE`): frames are
/// gathered in memory and, every `flushInterval` or `flushBytes`, appended as one gzip
/// member in one write, so the file is whole up to its last member at any moment and a
/// reader can follow it. Past `maxBytes` on disk, the oldest members go (the header stays,
/// and a `dropped` frame says how much went): the file is rewritten beside itself and
/// renamed over, so a reader never sees half of it.
///
/// Any thread may `add`; one thread of its own compresses and writes.
public final class RecordingWriter: Sendable {
    public static let formatVersion = 1
    public static let magic = "meshtop-recording"

    private struct State {
        var pending: [UInt8] = []
        /// Each member on disk, oldest first: its offset and size.
        var members: [(offset: Int, size: Int)] = []
        var fileBytes = 0
        var droppedBytes = 0
        var frames = 0
        var error: String?
        var closed = false
    }

    public let path: String
    public let maxBytes: Int?
    private let flushBytes: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let header: [UInt8]
    nonisolated(unsafe) private var descriptor: Int32

    /// Creates (or truncates) the file and writes the header: `watched` says what the run
    /// watched (its sources, as text), for the reader to show.
    public init(
        path: String, maxBytes: Int? = nil, watched: [String: String] = [:], version: String,
        flushInterval: Duration = .seconds(1), flushBytes: Int = 1 << 20, now: Date = Date()
    ) throws(RecordingError) {
        self.path = path
        self.maxBytes = maxBytes
        self.flushBytes = flushBytes
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RecordingError("\(path): \(String(cString: strerror(errno)))") }
        var fields = [Array(Self.magic.utf8), Array(String(Self.formatVersion).utf8), Array(version.utf8)]
        for (key, value) in watched.sorted(by: { $0.key < $1.key }) { fields.append(Array("\(key)=\(value)".utf8)) }
        var bytes: [UInt8] = []
        RecordingFrame(kind: .header, time: Self.milliseconds(now), fields: fields).encode(into: &bytes)
        header = Gzip.member(bytes)
        guard Self.writeAll(descriptor, header) else { throw RecordingError("\(path): \(String(cString: strerror(errno)))") }
        state.withLock { $0.fileBytes = header.count }
        let interval = flushInterval
        let thread = Thread { [self] in self.run(interval: interval) }
        thread.name = "meshtop-record"
        thread.start()
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Adds a frame, stamped now.
    public func add(_ kind: RecordingFrame.Kind, _ fields: [[UInt8]], at time: Date = Date()) {
        let frame = RecordingFrame(kind: kind, time: Self.milliseconds(time), fields: fields)
        let full = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            frame.encode(into: &state.pending)
            state.frames += 1
            return state.pending.count >= flushBytes
        }
        if full { wake.signal() }
    }

    /// What was written, for the end of a run: frames, bytes on disk, bytes dropped, the
    /// first write error.
    public var totals: (frames: Int, fileBytes: Int, droppedBytes: Int, error: String?) {
        state.withLock { ($0.frames, $0.fileBytes, $0.droppedBytes, $0.error) }
    }

    /// Writes what is pending and stops the writer thread.
    public func close() {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        wake.signal()
        finished.wait()
    }

    private func run(interval: Duration) {
        defer { finished.signal() }
        while true {
            _ = wake.wait(timeout: .now() + interval.inSecondsForDispatch)
            let (bytes, closed) = state.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return (state.pending, state.closed)
            }
            if !bytes.isEmpty { write(Gzip.member(bytes)) }
            if closed { return }
        }
    }

    private func write(_ member: [UInt8]) {
        guard state.withLock({ $0.error == nil }) else { return }
        guard Self.writeAll(descriptor, member) else {
            let message = "\(path): \(String(cString: strerror(errno)))"
            state.withLock { $0.error = message }
            return
        }
        let over = state.withLock { state -> Bool in
            state.members.append((state.fileBytes, member.count))
            state.fileBytes += member.count
            return maxBytes.map { state.fileBytes > $0 } ?? false
        }
        if over { trim() }
    }

    /// Keeps the header, a `dropped` frame and the newest members that fit in three
    /// quarters of the bound (so a trim is not needed again at the next flush).
    private func trim() {
        guard let maxBytes else { return }
        let (keep, dropped) = state.withLock { state -> ([(offset: Int, size: Int)], Int) in
            var budget = maxBytes * 3 / 4 - header.count - 64
            var keep: [(offset: Int, size: Int)] = []
            for member in state.members.reversed() {
                guard member.size <= budget else { break }
                budget -= member.size
                keep.insert(member, at: 0)
            }
            let dropped = state.members.dropLast(keep.count).reduce(0) { $0 + $1.size }
            return (keep, state.droppedBytes + dropped)
        }
        let temporary = path + ".trim"
        let target = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let source = open(path, O_RDONLY | O_CLOEXEC)
        defer { if source >= 0 { Glibc.close(source) } }
        guard target >= 0, source >= 0 else {
            if target >= 0 { Glibc.close(target) }
            state.withLock { $0.error = "\(path): cannot trim: \(String(cString: strerror(errno)))" }
            return
        }
        var bytes: [UInt8] = []
        RecordingFrame(kind: .dropped, time: Self.milliseconds(Date()), fields: [Array(String(dropped).utf8)]).encode(into: &bytes)
        let note = Gzip.member(bytes)
        var ok = Self.writeAll(target, header) && Self.writeAll(target, note)
        var members: [(offset: Int, size: Int)] = []
        var offset = header.count + note.count
        for member in keep where ok {
            var chunk = [UInt8](repeating: 0, count: member.size)
            let read = chunk.withUnsafeMutableBytes { pread(source, $0.baseAddress, member.size, off_t(member.offset)) }
            ok = read == member.size && Self.writeAll(target, chunk)
            members.append((offset, member.size))
            offset += member.size
        }
        guard ok, rename(temporary, path) == 0 else {
            Glibc.close(target)
            unlink(temporary)
            state.withLock { $0.error = "\(path): cannot trim: \(String(cString: strerror(errno)))" }
            return
        }
        Glibc.close(descriptor)
        descriptor = target
        state.withLock { state in
            state.members = members
            state.fileBytes = offset
            state.droppedBytes = dropped
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000).rounded()) }
}

extension Duration {
    fileprivate var inSecondsForDispatch: DispatchTimeInterval {
        .milliseconds(Int(components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000))
    }
}
