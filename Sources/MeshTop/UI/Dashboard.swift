import Collectors
import Foundation

/// The UI loop: one thread owns the terminal; it waits up to 100 ms for a key, takes the
/// newest Snapshot and log feed, and redraws only when one of them changed, a key was
/// pressed, the terminal was resized, or the clock in the header moved on.
final class Dashboard: @unchecked Sendable {
    // Touched by the UI thread only, after `init`.
    private var state = UIState()
    private var model: ScreenModel
    private var rendered: Screen.Rendered?
    private let live: LiveSnapshot
    private let tail: LogTail?
    private let load: LoadMonitor?
    private let poller: Poller
    private let color: Bool
    private let debug: DebugLog

    init(
        poller: Poller, queries: IstioQueries, profile: MetricsProfile.Choice, live: LiveSnapshot, tail: LogTail?, load: LoadMonitor?, model: ScreenModel, color: Bool,
        debug: DebugLog
    ) {
        self.poller = poller
        self.load = load
        self.live = live
        self.tail = tail
        self.model = model
        self.color = color
        self.debug = debug
        state.window = queries.window
        state.reporter = queries.reporter
        state.profile = profile
        if model.load != nil { state.panels.insert(.load, at: 0) }
    }

    /// Runs the loop on its own thread until `q`, Ctrl-C, SIGTERM or SIGHUP.
    func run() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread { [self] in
                do {
                    try self.loop()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "meshtop-ui"
            thread.start()
        }
    }

    private func loop() throws {
        let terminal = try Terminal(color: color)
        defer { terminal.restore() }
        debug.write("terminal \(terminal.size.width)x\(terminal.size.height), colours \(terminal.colors)")
        var snapshotGeneration = -2
        var logGeneration = -1
        var loadGeneration = -1
        var second = Int(Date().timeIntervalSince1970)
        // New data waits for the clock's next second and is drawn with it, so the screen is
        // drawn once a second however many sources change (three polls and the logs would
        // otherwise each cost a frame), like top; a key or a resize redraws at once.
        var dirty = true
        var urgent = true
        while !StopSignal.requested {
            if !state.paused {
                if live.generation != snapshotGeneration, let (snapshot, generation) = live.latest {
                    snapshotGeneration = generation
                    model.snapshot = snapshot
                    dirty = true
                }
                if let load, load.generation != loadGeneration {
                    loadGeneration = load.generation
                    model.load = load.status
                    dirty = true
                }
                if let tail, tail.generation != logGeneration {
                    let current = tail.current
                    logGeneration = current.generation
                    model.requests = current.feed
                    model.logNotes = current.notes
                    dirty = true
                }
            }
            let now = Date()
            let tick = Int(now.timeIntervalSince1970) != second
            second = Int(now.timeIntervalSince1970)
            if urgent || tick {
                // Paused, the clock stops too, so a tick redraws only for a change.
                if !state.paused { model.now = now }
                if urgent || dirty || !state.paused { draw(terminal) }
                dirty = false
                urgent = false
            }
            guard let key = terminal.readKey() else { continue }
            urgent = true
            if key == .resize { continue }
            switch state.handle(key) {
            case .quit?: return
            case .openDetail?:
                if let items = rendered?.items[state.focus], items.indices.contains(state.selected(state.focus)) {
                    state.detail = items[state.selected(state.focus)]
                    state.detailScroll = 0
                }
            case .retune(let window, let reporter)?:
                debug.write("retune window \(window) reporter \(reporter.rawValue)")
                let poller = self.poller
                Task { await poller.retune(window: window, reporter: reporter) }
            case .profile(let choice)?:
                debug.write("profile \(choice.rawValue)")
                let poller = self.poller
                Task { await poller.choose(profile: choice) }
            case nil: break
            }
        }
    }

    private func draw(_ terminal: Terminal) {
        let (width, height) = terminal.size
        let frame = Screen.render(model, state, width: width, height: height)
        state.rowCounts = frame.rowCounts
        state.pageRows = frame.pageRows
        rendered = frame
        terminal.draw(frame.grid)
    }
}
