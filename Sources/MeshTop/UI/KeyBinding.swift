/// One key of the dashboard: what it does, and how the footer, the help overlay and
/// `meshtop top --help` name it. `KeyBinding.panels` and `.details` are the only places a
/// key is defined; `UIState.handle` performs the action of the binding a key finds.
struct KeyBinding: Sendable {
    enum Action: Sendable, CaseIterable {
        case quit, nextPanel, previousPanel, up, down, pageUp, pageDown, top, bottom, details, filter, errorsOnly
        case reporter, profile, sort, reverseSort, window, namespace, pause, help, clear, hops, ledger
        /// `g`, and the graph view's own.
        case graph, left, right, panLeft, panRight, panUp, panDown, collapse
        /// In the details view.
        case back
        /// In a replay.
        case play, faster, slower, minuteBack, minuteOn, goTo
    }

    var keys: [Key]
    /// The keys as the help shows them, e.g. "↑ ↓  j k".
    var label: String
    /// The footer's short form (key, word), or nil when the footer leaves it out.
    var footer: (key: String, word: String)?
    /// What the help says; nil when the binding shares the line of the one before it.
    var help: String?
    var action: Action

    /// The binding `key` finds in `table`.
    static func find(_ key: Key, in table: [KeyBinding]) -> KeyBinding? {
        table.first { $0.keys.contains(key) }
    }

    /// The panels' keys, in the order the help lists them.
    static let panels: [KeyBinding] = [
        KeyBinding(keys: [.character("q"), .interrupt], label: "q  Ctrl-C", footer: ("q", "quit"), help: "quit", action: .quit),
        KeyBinding(keys: [.tab], label: "Tab", footer: ("tab", "panel"), help: "move focus between panels", action: .nextPanel),
        KeyBinding(keys: [.backTab], label: "Shift-Tab", footer: nil, help: nil, action: .previousPanel),
        KeyBinding(keys: [.up, .character("k")], label: "↑ k", footer: nil, help: "move the selection", action: .up),
        KeyBinding(keys: [.down, .character("j")], label: "↓ j", footer: nil, help: nil, action: .down),
        KeyBinding(keys: [.pageUp], label: "PgUp", footer: nil, help: "scroll a page, go to the top or the end", action: .pageUp),
        KeyBinding(keys: [.pageDown], label: "PgDn", footer: nil, help: nil, action: .pageDown),
        KeyBinding(keys: [.home], label: "Home", footer: nil, help: nil, action: .top),
        KeyBinding(keys: [.end], label: "End", footer: nil, help: nil, action: .bottom),
        KeyBinding(keys: [.enter], label: "Enter", footer: ("enter", "details"), help: "details of the row (a request: its whole chain); Esc back", action: .details),
        KeyBinding(keys: [.character("/")], label: "/", footer: ("/", "filter"), help: "filter the focused panel (substring; re: for a regex)", action: .filter),
        KeyBinding(keys: [.escape], label: "Esc", footer: nil, help: "clear the focused panel's filter and errors-only", action: .clear),
        KeyBinding(keys: [.character("e")], label: "e", footer: ("e", "errors"), help: "errors only: 5xx, no answer, Envoy flags, gRPC failures", action: .errorsOnly),
        KeyBinding(keys: [.character("r")], label: "r", footer: ("r", "reporter"), help: "reporter: auto, destination, source, waypoint", action: .reporter),
        KeyBinding(keys: [.character("P")], label: "P", footer: ("P", "profile"), help: "metrics profile: istio, envoy, auto", action: .profile),
        KeyBinding(keys: [.character("s")], label: "s", footer: ("s", "sort"), help: "cycle the sort column, reverse it", action: .sort),
        KeyBinding(keys: [.character("S")], label: "S", footer: nil, help: nil, action: .reverseSort),
        KeyBinding(keys: [.character("w")], label: "w", footer: ("w", "window"), help: "window of the rates: 1m, 5m, 15m", action: .window),
        KeyBinding(
            keys: [.character("N")], label: "N", footer: ("N", "ns"), help: "Traffic of one namespace (from or to it), the next, all",
            action: .namespace),
        KeyBinding(
            keys: [.character("H")], label: "H", footer: ("H", "hops"),
            help: "per-hop time of the listed requests; Esc back", action: .hops),
        KeyBinding(
            keys: [.character("L")], label: "L", footer: ("L", "ledger"),
            help: "telemetry ledger: load, metrics, logs per hop; Esc back", action: .ledger),
        KeyBinding(
            keys: [.character("g"), .character("G")], label: "g G", footer: ("g", "graph"),
            help: "service graph: who calls whom, how much, how well; Esc back", action: .graph),
        KeyBinding(keys: [.character("p")], label: "p", footer: ("p", "pause"), help: "pause the screen (polling goes on)", action: .pause),
        KeyBinding(keys: [.character("?")], label: "?", footer: ("?", "help"), help: "this help; any key closes it", action: .help),
    ]

    /// The graph view's keys.
    static let graph: [KeyBinding] = [
        KeyBinding(keys: [.escape, .backspace], label: "Esc", footer: ("esc", "back"), help: "back to the panels (clears the filter first)", action: .back),
        KeyBinding(keys: [.up], label: "↑", footer: ("←↑↓→", "select"), help: "select the node above, below, to the left, to the right", action: .up),
        KeyBinding(keys: [.down], label: "↓", footer: nil, help: nil, action: .down),
        KeyBinding(keys: [.left], label: "←", footer: nil, help: nil, action: .left),
        KeyBinding(keys: [.right], label: "→", footer: nil, help: nil, action: .right),
        KeyBinding(keys: [.character("h")], label: "h", footer: ("hjkl", "pan"), help: "pan the view left, down, up, right", action: .panLeft),
        KeyBinding(keys: [.character("j")], label: "j", footer: nil, help: nil, action: .panDown),
        KeyBinding(keys: [.character("k")], label: "k", footer: nil, help: nil, action: .panUp),
        KeyBinding(keys: [.character("l")], label: "l", footer: nil, help: nil, action: .panRight),
        KeyBinding(keys: [.enter], label: "Enter", footer: ("enter", "node"), help: "the node: its edges in and out, its recent requests", action: .details),
        KeyBinding(keys: [.character("/")], label: "/", footer: ("/", "filter"), help: "only nodes whose name holds the text, and their neighbours", action: .filter),
        KeyBinding(keys: [.character("n"), .character("N")], label: "n", footer: ("n", "ns"), help: "only the edges from or to one namespace, the next, all", action: .namespace),
        KeyBinding(keys: [.character("c")], label: "c", footer: ("c", "collapse"), help: "namespaces as one box each, or every workload", action: .collapse),
        KeyBinding(keys: [.character("?")], label: "?", footer: ("?", "help"), help: "this help; any key closes it", action: .help),
        KeyBinding(keys: [.character("q"), .interrupt], label: "q", footer: ("q", "quit"), help: "quit", action: .quit),
    ]

    /// A replay's keys, found before the panels' (its `p` plays and pauses the replay).
    static let replay: [KeyBinding] = [
        KeyBinding(keys: [.character("p"), .character(" ")], label: "p  Space", footer: ("p", "play"), help: "replay: play or pause", action: .play),
        KeyBinding(keys: [.character("+"), .character("=")], label: "+", footer: ("+-", "speed"), help: "replay: faster, slower (0.5× to 16×)", action: .faster),
        KeyBinding(keys: [.character("-")], label: "-", footer: nil, help: nil, action: .slower),
        KeyBinding(keys: [.character("[")], label: "[", footer: ("[]", "minute"), help: "replay: a minute back, a minute on", action: .minuteBack),
        KeyBinding(keys: [.character("]")], label: "]", footer: nil, help: nil, action: .minuteOn),
        KeyBinding(
            keys: [.character("g")], label: "g", footer: ("g", "go to"), help: "replay: go to +DURATION from the start, or a time (15:04:05, RFC 3339); G the service graph",
            action: .goTo),
    ]

    /// The keys of the details view.
    static let details: [KeyBinding] = [
        KeyBinding(keys: [.escape, .enter, .backspace], label: "Esc", footer: ("esc", "back"), help: "back to the panels", action: .back),
        KeyBinding(keys: [.up, .character("k")], label: "↑ k", footer: ("↑↓", "scroll"), help: "scroll", action: .up),
        KeyBinding(keys: [.down, .character("j")], label: "↓ j", footer: nil, help: nil, action: .down),
        KeyBinding(keys: [.pageUp], label: "PgUp", footer: nil, help: "scroll a page, go to the top", action: .pageUp),
        KeyBinding(keys: [.pageDown], label: "PgDn", footer: nil, help: nil, action: .pageDown),
        KeyBinding(keys: [.home], label: "Home", footer: nil, help: nil, action: .top),
        KeyBinding(keys: [.character("q"), .interrupt], label: "q", footer: ("q", "quit"), help: "quit", action: .quit),
    ]

    /// The help's lines: a binding without words of its own joins the line before it.
    static func helpLines(_ table: [KeyBinding]) -> [(keys: String, help: String)] {
        var lines: [(keys: String, help: String)] = []
        for binding in table {
            if let help = binding.help {
                lines.append((binding.label, help))
            } else if !lines.isEmpty {
                lines[lines.count - 1].keys += "  " + binding.label
            }
        }
        return lines
    }

    /// `meshtop replay --help`'s paragraph: the replay's keys from their table, then what the
    /// dashboard's own keys do in a replay.
    static var replaySummary: String {
        "Keys of a replay: "
            + helpLines(replay).map { "\($0.keys.replacingOccurrences(of: "  ", with: " / ")) \($0.help.replacingOccurrences(of: "replay: ", with: ""))" }
            .joined(separator: "; ")
            + ". Every other key is the dashboard's (meshtop top --help). w, r and P ask queries the run did not ask: "
            + "those answer \"not in the recording\"."
    }

    /// `meshtop top --help`'s paragraph of keys, from the same lines as the help overlay.
    static var summary: String {
        "Keys: " + helpLines(panels).map { "\($0.keys.replacingOccurrences(of: "  ", with: " / ")) \($0.help)" }.joined(separator: "; ")
            + "."
    }
}
