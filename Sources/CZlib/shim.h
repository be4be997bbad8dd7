#ifndef MESHTOP_CZLIB_SHIM_H
#define MESHTOP_CZLIB_SHIM_H

#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass the library's version and the
// stream's size), which Swift cannot call. The wrappers fix the gzip framing too: window
// bits 15 + 16 write and read a gzip member, not a bare zlib stream.

static inline int mt_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int mt_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}

#endif
