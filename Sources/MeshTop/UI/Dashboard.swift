import Collectors
import Foundation
import Synchronization

/// The UI thread: it owns the terminal, the model and the key state, and takes one event
/// at a time from `events` (keys, resizes, snapshots, request batches, load progress and
/// the clock's ticks). New data is drawn at the next tick, so the screen changes once a
/// second however many sources report (like top); a key or a resize is drawn at once.
final class Dashboard: @unchecked Sendable {
    // Touched by the UI thread only, after `init`.
    private var state = UIState()
    private var model: ScreenModel
    /// The model as it was when `p` paused the screen; drawn instead of `model` until `p` again.
    private var frozen: ScreenModel?
    private var rendered: Screen.Rendered?
    /// The graph view's layout, kept between frames.
    private var graphCache = GraphCache()
    private let events: EventQueue
    private let poller: Poller
    private let color: Bool
    private let debug: DebugLog
    /// `meshtop replay`'s clock: the screen's "now", moved by the replay's keys.
    private let replay: ReplayClock?

    /// `scope`: the Traffic panel's namespace at the start (an explicit `-n`), nil for all.
    init(
        poller: Poller, queries: IstioQueries, profile: MetricsProfile.Choice, scope: String?, events: EventQueue, model: ScreenModel, color: Bool,
        debug: DebugLog, replay: ReplayClock? = nil
    ) {
        self.poller = poller
        self.replay = replay
        state.replaying = replay != nil
        self.events = events
        self.model = model
        self.color = color
        self.debug = debug
        state.window = queries.window
        state.reporter = queries.reporter
        state.profile = profile
        state.scope = scope
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
        let keys = KeyReader(terminal: terminal, events: events)
        keys.start()
        defer { keys.stop() }
        showReplay()
        draw(terminal)
        var tick = Self.nextSecond(after: Date())
        while true {
            switch events.next(tickAt: tick) {
            case .key(let key):
                if handle(key) { return }
                draw(terminal)
            case .resize:
                draw(terminal)
            case .snapshot(let snapshot):
                model.snapshot = snapshot
            case .requests(let batch):
                if model.requests == nil || batch.reset { model.requests = RequestFeed() }
                model.requests?.apply(batch)
                model.logNotes = batch.notes
                if let ledger = batch.ledger { model.ledgerLines = ledger }
            case .load(let status):
                model.load = status
            case .tick(let now):
                tick = Self.nextSecond(after: now)
                model.now = now
                showReplay()
                // Paused, the clock stops too: nothing to draw until a key.
                if frozen == nil { draw(terminal) }
            }
        }
    }

    /// Performs a key; true to quit.
    private func handle(_ key: Key) -> Bool {
        let wasPaused = state.paused
        // `N` cycles through the namespaces of the edges on screen (made here, per key, not per frame).
        if state.detail == .graph, KeyBinding.find(key, in: KeyBinding.graph)?.action == .namespace {
            state.graph.namespaces = TrafficPanel.namespaces((frozen ?? model).snapshot.edges)
        } else if state.detail == nil, KeyBinding.find(key, in: KeyBinding.panels)?.action == .namespace {
            state.namespaces = TrafficPanel.namespaces((frozen ?? model).snapshot.edges)
        }
        let command = state.handle(key)
        if state.paused != wasPaused { frozen = state.paused ? model : nil }
        switch command {
        case .quit?: return true
        case .openDetail?: openDetail()
        case .retune(let window, let reporter)?:
            debug.write("retune window \(window) reporter \(reporter.rawValue)")
            let poller = self.poller
            Task { await poller.retune(window: window, reporter: reporter) }
        case .replay(let move)?:
            guard let replay else { break }
            switch move {
            case .toggle: replay.toggle()
            case .faster: replay.faster()
            case .slower: replay.slower()
            case .jump(let seconds): replay.jump(by: seconds)
            case .goTo(let text):
                if let moment = replay.moment(text, timeZone: model.timeZone) {
                    replay.jump(to: moment)
                } else {
                    state.prompt = text
                    state.promptKind = .time
                    state.promptError = "not +DURATION, a time of day or RFC 3339"
                }
            }
            debug.write("replay \(move) → \(replay.position)")
            showReplay()
        case .profile(let choice)?:
            debug.write("profile \(choice.rawValue)")
            let poller = self.poller
            Task { await poller.choose(profile: choice) }
        case nil: break
        }
        return false
    }

    /// In a replay, the screen's "now" is the replay's, so ages and the clock are the run's.
    private func showReplay() {
        guard let replay else { return }
        model.replay = replay.position
        model.now = model.replay!.time
    }

    /// The selected row as it is on screen now becomes the detail: a request is copied,
    /// so it stays open when newer requests push it out of the list.
    private func openDetail() {
        guard let items = rendered?.items[state.focus], items.indices.contains(state.selected(state.focus)) else { return }
        let shown = frozen ?? model
        switch items[state.selected(state.focus)] {
        case .edge(let key): state.detail = .edge(key)
        case .member(let endpoint): state.detail = .member(endpoint)
        case .request(let serial):
            guard let block = shown.requests?.block(serial: serial) else { return }
            state.detail = .request(block)
        }
        state.detailScroll = 0
    }

    private func draw(_ terminal: Terminal) {
        let (width, height) = terminal.size
        var shown = frozen ?? model
        if state.detail == .graph {
            shown.graph = graphCache.update(
                shown.snapshot, view: state.graph, thresholds: shown.thresholds, load: shown.load, loadAuthority: shown.loadAuthority)
            state.graph.autoCollapsed = graphCache.autoCollapsed
        }
        let frame = Screen.render(shown, state, width: width, height: height)
        state.rowCounts = frame.rowCounts
        state.pageRows = frame.pageRows
        if let graph = frame.graph { state.graph.took(graph) }
        rendered = frame
        terminal.draw(frame.grid)
    }

    static func nextSecond(after date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 + 1).rounded(.down))
    }
}

/// Posts the terminal's keys as events, on a thread of its own: it sleeps in poll(2) until
/// a key comes, waking every 200 ms to take a resize (ncurses turns SIGWINCH into a key)
/// or a stop signal (posted as Ctrl-C).
final class KeyReader: Sendable {
    private let terminal: Terminal
    private let events: EventQueue
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(terminal: Terminal, events: EventQueue) {
        self.terminal = terminal
        self.events = events
    }

    func start() {
        let thread = Thread { [self] in
            defer { finished.signal() }
            var ready = pollfd(fd: terminal.inputDescriptor, events: Int16(POLLIN), revents: 0)
            while !stopping.load(ordering: .relaxed) {
                if StopSignal.requested {
                    events.post(.key(.interrupt))
                    return
                }
                _ = poll(&ready, 1, 200)
                // A terminal that hung up would make poll return at once, forever.
                if ready.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { ready.fd = -1 }
                for key in terminal.readKeys() { events.post(key == .resize ? .resize : .key(key)) }
            }
        }
        thread.name = "meshtop-keys"
        thread.start()
    }

    /// Returns once the thread has stopped reading, so the terminal can be given back.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }
}
