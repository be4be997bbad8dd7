import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a recording frame by frame (`meshtop replay`, `logs --from`, …), up to wherever the
/// file ends now: a file still being written is read to its last whole frame, and one a crash
/// cut short to the cut (`cut` then says so). A file that is not a recording, or comes from
/// a newer meshtop, is one clear error at `init`.
public final class RecordingReader {
    public let path: String
    /// The header's fields: the meshtop that wrote it and what it watched (`key=value`).
    public let version: String
    public let watched: [String: String]
    public let started: Int64
    /// Bytes of frames the file's oldest part lost to `--record-max`, from `dropped` frames.
    public private(set) var droppedBytes = 0
    /// Why reading stopped before the end: damage in the file. Nothing after it is read.
    public var cut: String? { damage ?? inflater.failed.map { "damaged: \($0)" } }
    private var damage: String?

    private let descriptor: Int32
    private let inflater = GzipInflater()
    private var decoded: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var readBuffer = [UInt8](repeating: 0, count: 1 << 20)

    public init(path: String) throws(RecordingError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RecordingError("\(path): \(String(cString: strerror(errno)))") }
        var first: RecordingFrame?
        do {
            first = try Self.firstFrame(descriptor: descriptor, inflater: inflater, decoded: &decoded, position: &position, buffer: &readBuffer)
        } catch {
            close(descriptor)
            throw error
        }
        guard let header = first, header.kind == RecordingFrame.Kind.header.rawValue, header.text(0) == RecordingWriter.magic else {
            close(descriptor)
            throw RecordingError("\(path): not a meshtop recording")
        }
        let format = Int(header.text(1)) ?? 0
        guard format >= 1, format <= RecordingWriter.formatVersion else {
            close(descriptor)
            throw RecordingError(
                "\(path): recorded by meshtop \(ControlBytes.sanitize(header.text(2))) in format \(format); this meshtop reads format \(RecordingWriter.formatVersion): upgrade meshtop to read it")
        }
        version = header.text(2)
        started = header.time
        var watched: [String: String] = [:]
        for field in header.fields.dropFirst(3) {
            let text = String(decoding: field, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            watched[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        self.watched = watched
    }

    deinit { close(descriptor) }

    /// The next frame, nil at the end of what the file holds now (call again for what a
    /// writer appends later). `dropped` frames are counted, not returned.
    public func next() -> RecordingFrame? {
        while true {
            if let frame = take() {
                if frame.kind == RecordingFrame.Kind.dropped.rawValue {
                    droppedBytes = Int(frame.text(0)) ?? droppedBytes
                    continue
                }
                return frame
            }
            guard cut == nil, fill() else { return nil }
        }
    }

    /// Whether what the file holds now ends inside a frame: it is still being written, or
    /// was cut short (a crash, a full disk). A later `next` reads on when more comes.
    public var endsInsideAFrame: Bool { position < decoded.count || inflater.insideMember }

    private func take() -> RecordingFrame? {
        guard position < decoded.count else { return nil }
        let result = decoded.withUnsafeBufferPointer { bytes -> Result<(frame: RecordingFrame, size: Int)?, RecordingError> in
            do throws(RecordingError) {
                return .success(try RecordingFrame.decode(UnsafeBufferPointer(rebasing: bytes[position...])))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error):
            damage = error.description
            position = decoded.count
            return nil
        case .success(nil):
            return nil
        case .success(let found?):
            position += found.size
            // Let go of what was read, now and then, so memory stays at one chunk or so.
            if position > 4 << 20 {
                decoded.removeFirst(position)
                position = 0
            }
            return found.frame
        }
    }

    /// Reads more of the file; false when nothing new is there.
    private func fill() -> Bool {
        let count = readBuffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        let before = decoded.count
        readBuffer.withUnsafeBufferPointer { inflater.feed(UnsafeBufferPointer(rebasing: $0[0..<count]), into: &decoded) }
        return decoded.count > before || count > 0
    }

    private static func firstFrame(
        descriptor: Int32, inflater: GzipInflater, decoded: inout [UInt8], position: inout Int, buffer: inout [UInt8]
    ) throws(RecordingError) -> RecordingFrame? {
        while true {
            let found = try decoded.withUnsafeBufferPointer { bytes throws(RecordingError) in try RecordingFrame.decode(bytes) }
            if let found {
                position = found.size
                return found.frame
            }
            // A header is small: far more than this without one is not a recording.
            if decoded.count > 1 << 20 { return nil }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return nil }
            buffer.withUnsafeBufferPointer { inflater.feed(UnsafeBufferPointer(rebasing: $0[0..<count]), into: &decoded) }
            if inflater.failed != nil, decoded.isEmpty { return nil }
        }
    }
}
