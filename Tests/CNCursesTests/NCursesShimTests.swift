import CNCurses
import Glibc
import Testing

@Suite struct NCursesShimTests {
    @Test func reportsTheLinkedVersion() {
        let version = String(cString: curses_version())
        #expect(version.hasPrefix("ncurses 6."))
    }

    @Test func attributeAndKeyShimsAreDistinct() {
        let attributes = [mt_a_bold(), mt_a_dim(), mt_a_reverse(), mt_a_underline()]
        #expect(Set(attributes).count == 4)
        #expect(!attributes.contains(mt_a_normal()))
        #expect(mt_key_resize() > 0o400)
    }

    @Test func wideCharacterWidthsFollowTheLocale() {
        #expect(setlocale(LC_ALL, "C.UTF-8") != nil)
        #expect(mt_wcwidth(wchar_t(0x41)) == 1)  // A
        #expect(mt_wcwidth(wchar_t(0x4E2D)) == 2)  // 中
        #expect(mt_wcwidth(wchar_t(0x1F30F)) == 2)  // 🌏
        #expect(mt_wcwidth(wchar_t(0x1B)) == -1)  // ESC has no width
    }

    /// A full screen on a pseudo terminal that nobody watches: init, size, draw, tear down.
    @Test func drivesAScreenOnADummyTerminal() throws {
        let output = try #require(fopen("/dev/null", "w"))
        let input = try #require(fopen("/dev/null", "r"))
        defer {
            fclose(output)
            fclose(input)
        }
        let screen = try #require(newterm("xterm-256color", output, input))
        defer { delscreen(screen) }
        var rows: Int32 = 0
        var cols: Int32 = 0
        mt_getmaxyx(mt_stdscr(), &rows, &cols)
        #expect(rows > 0 && cols > 0)
        #expect(mvwaddstr(mt_stdscr(), 0, 0, "meshtop") == OK)
        #expect(wrefresh(mt_stdscr()) == OK)
        endwin()
    }
}
