/// A key press, as the dashboard understands it; `Terminal` translates curses codes.
enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case tab, backTab, enter, escape, backspace
    case resize
    case interrupt
}
