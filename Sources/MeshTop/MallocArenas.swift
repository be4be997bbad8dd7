import Foundation

/// glibc's malloc told to keep one arena. It gives each thread that allocates an arena of its
/// own and keeps what is freed in it: a poll's five answers, megabytes each at a thousand edges,
/// arrive on curl's threads, and the dashboard held 133 MB after 12 s and kept growing; with one
/// arena, 66 MB and flat (bench/scale.sh). meshtop allocates on few threads, so sharing one
/// costs little waiting.
enum MallocArenas {
    /// `M_ARENA_MAX` in glibc's <malloc.h>.
    private static let arenaMax: Int32 = -8

    /// Before the threads start. Swift's Glibc module does not bring in <malloc.h>, so
    /// `mallopt` is found by name; a libc without it (musl) is left as it is.
    static func limitToOne() {
        guard let symbol = dlsym(nil, "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, 1)
    }
}
