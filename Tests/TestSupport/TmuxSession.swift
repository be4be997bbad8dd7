import Foundation

/// A detached tmux session on a private socket, running an interactive shell: what a user's
/// terminal is to meshtop. The test types into it, reads the pane, resizes it, and asks tmux
/// whether the program left the terminal as it found it.
public final class TmuxSession: @unchecked Sendable {
    public static let binary: String? = Tool.find("tmux")
    public static var shouldRun: Bool { binary != nil || Tool.underCI }

    private let socket = "meshtop-test-\(getpid())-\(UUID().uuidString.prefix(8))"
    private let environment: [String: String]

    public init(width: Int, height: Int) throws {
        guard Self.binary != nil else { throw TestFailure("tmux is not installed") }
        var environment = ProcessInfo.processInfo.environment
        // UTF-8 everywhere, whatever the runner's locale: box drawing and wide glyphs.
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = "C.UTF-8"
        environment["TERM"] = "xterm-256color"
        environment.removeValue(forKey: "TMUX")
        self.environment = environment
        _ = try run([
            "new-session", "-d", "-s", "main", "-x", "\(width)", "-y", "\(height)",
            "env PS1='$ ' HISTFILE=/dev/null bash --norc --noprofile -i",
        ])
        _ = try run(["set-option", "-t", "main", "status", "off"])
    }

    deinit { close() }

    /// Stops the tmux server and everything running in its pane.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = try? run(["kill-server"])
    }

    private var closed = false

    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        // posix_spawn and waitpid, with the output in a file: the tmux server that the first
        // command starts keeps the descriptors it inherited (a pipe would never end), and
        // the client must be reaped here, whatever Foundation's child watcher does.
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The test runner blocks some signals, and a child inherits the mask: tmux and the
        // shell in its pane must hear SIGHUP and SIGTERM, or kill-server waits forever.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let binary = Self.binary ?? "/usr/bin/tmux"
        let argv = [binary, "-u", "-L", socket] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in posix_spawn(&pid, binary, &actions, &attributes, cArgv, cEnvp) }
        }
        guard status == 0 else { throw TestFailure("tmux: posix_spawn failed (\(status))") }
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) < 0, errno == EINTR {}
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        guard exit == 0 else { throw TestFailure("tmux \(arguments.joined(separator: " ")): \(text)") }
        return text
    }

    private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Keys by tmux name (Enter, Tab, Escape, C-c) or literal characters.
    public func send(_ keys: String...) throws { try run(["send-keys", "-t", "main"] + keys) }

    /// Text typed as it is, then Enter.
    public func type(_ line: String) throws {
        try run(["send-keys", "-t", "main", "-l", line])
        try run(["send-keys", "-t", "main", "Enter"])
    }

    /// The visible pane, one string per row.
    public func capture() throws -> [String] {
        var lines = try run(["capture-pane", "-p", "-t", "main"]).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    public var screen: String { (try? capture().joined(separator: "\n")) ?? "" }

    /// A tmux format about the pane, e.g. #{pane_title}, #{alternate_on}, #{cursor_flag}.
    public func display(_ format: String) throws -> String {
        try run(["display-message", "-p", "-t", "main", format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func resize(width: Int, height: Int) throws {
        try run(["resize-window", "-t", "main", "-x", "\(width)", "-y", "\(height)"])
    }

    /// Waits until the pane shows what `ready` looks for; the failure prints the pane.
    public func waitFor(_ what: String, within seconds: TimeInterval = 20, _ ready: @escaping (String) -> Bool) async throws {
        try await Tool.waitUntil(what, within: seconds, log: { "pane:\n" + self.screen }) { ready(self.screen) }
    }
}
