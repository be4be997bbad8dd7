import CNCurses

/// The only place meshtop talks to ncurses. For now it reports the library version;
/// the dashboard's drawing code lands here too, so no other file imports CNCurses.
enum Terminal {
    /// ncurses' own version string, e.g. "ncurses 6.4.20221231".
    static var libraryVersion: String { String(cString: curses_version()) }
}
