import CZlib

/// gzip through zlib: a recording is a run of gzip members, one a flush, so a reader can
/// decode every whole member of a file still being written, and the part of a member a
/// crash cut short.
public enum Gzip {
    /// One whole gzip member of `bytes`. Level 1: a recording is written while the dashboard
    /// runs; on a minute at 200 req/s (16 MB of frames) level 6 took twice the CPU (0.16 % of a
    /// core against 0.08 %) for a file a fifth smaller.
    public static func member(_ bytes: [UInt8], level: Int32 = 1) -> [UInt8] {
        var stream = z_stream()
        guard mt_deflate_init_gzip(&stream, level) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        var input = bytes
        let written = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return 0 }
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(written))
    }
}

/// Inflates a run of gzip members fed in pieces: what `feed` returns is everything decoded
/// so far of the pieces given; members follow one another without a gap.
final class GzipInflater {
    private var stream = z_stream()
    private var open = false
    /// The input was not gzip, or a member is damaged: nothing after it can be read.
    private(set) var failed: String?
    /// The input so far ends inside a member: it is still being written, or was cut short.
    private(set) var insideMember = false

    init() {
        open = mt_inflate_init_gzip(&stream) == Z_OK
        if !open { failed = "zlib could not start" }
    }

    deinit { if open { inflateEnd(&stream) } }

    /// Decodes `input`, appending to `output`; stops at the first damage (`failed`).
    func feed(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        guard open, failed == nil, let base = input.baseAddress, !input.isEmpty else { return }
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(input.count)
        while stream.avail_in > 0 {
            let (result, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let result = inflate(&stream, Z_NO_FLUSH)
                return (result, target.count - Int(stream.avail_out))
            }
            output.append(contentsOf: chunk.prefix(produced))
            insideMember = true
            switch result {
            case Z_STREAM_END:
                // The next member starts right after this one.
                inflateReset(&stream)
                insideMember = false
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: the input ends inside a member; more may come.
                if produced == 0 { return }
            default:
                failed = stream.msg.map { String(cString: $0) } ?? String(cString: zError(result))
                return
            }
        }
    }
}
