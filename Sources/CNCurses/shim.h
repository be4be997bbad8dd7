#ifndef MESHTOP_CNCURSES_SHIM_H
#define MESHTOP_CNCURSES_SHIM_H

// The wide-character API (cchar_t, setcchar, mvwadd_wchnstr) is only declared when
// this is set before the header is read.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// stdscr, COLORS, COLOR_PAIRS, LINES and COLS are globals or macros over functions
// that Swift cannot import as stable values; these read them at call time.
static inline WINDOW *mt_stdscr(void) { return stdscr; }
static inline int mt_colors(void) { return COLORS; }
static inline int mt_color_pairs(void) { return COLOR_PAIRS; }
static inline int mt_lines(void) { return LINES; }
static inline int mt_cols(void) { return COLS; }

// getmaxyx is a macro that assigns to its arguments.
static inline void mt_getmaxyx(WINDOW *win, int *rows, int *cols) {
    int y, x;
    getmaxyx(win, y, x);
    *rows = y;
    *cols = x;
}

// Attribute and colour-pair macros expand to shifts Swift does not import.
static inline attr_t mt_a_bold(void) { return A_BOLD; }
static inline attr_t mt_a_dim(void) { return A_DIM; }
static inline attr_t mt_a_reverse(void) { return A_REVERSE; }
static inline attr_t mt_a_underline(void) { return A_UNDERLINE; }
static inline attr_t mt_a_normal(void) { return A_NORMAL; }
static inline int mt_key_resize(void) { return KEY_RESIZE; }
static inline attr_t mt_color_pair(int pair) { return COLOR_PAIR(pair); }

// wcwidth is in <wchar.h> but needs _XOPEN_SOURCE; the wrapper keeps the feature
// macros in this one header.
static inline int mt_wcwidth(wchar_t c) { return wcwidth(c); }

static inline void mt_setlocale_all(void) { setlocale(LC_ALL, ""); }

// stdin and stdout are mutable C globals, which Swift 6 refuses to read; newterm needs them.
static inline FILE *mt_stdin(void) { return stdin; }
static inline FILE *mt_stdout(void) { return stdout; }

#endif
