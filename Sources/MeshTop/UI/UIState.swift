import Collectors

/// Everything the user changed with keys: focus, scrolling, filters, sort, pause, overlays.
/// A value, changed only by `handle(_:)`, so key handling is tested without a terminal.
struct UIState: Equatable, Sendable {
    enum Panel: Int, CaseIterable, Sendable { case traffic, etcd, requests, load }

    enum SortColumn: String, CaseIterable, Sendable { case name, rps, success, p50, p90, p99 }

    /// What Enter opened.
    enum Detail: Equatable, Sendable {
        case edge(EdgeKey)
        case member(String)
        /// The request as it was when Enter was pressed (it may leave the list meanwhile).
        case request(RequestBlock)
        /// `H`: the per-hop table of the requests in the list, as they are now.
        case hops
        /// `L`: the telemetry ledger since the dashboard started.
        case ledger
        /// `g`: the service graph (`graph` holds its state).
        case graph
        /// Enter on a graph node: its edges in and out and its recent requests; Esc back to the graph.
        case node(String)
    }

    /// What the rest of the dashboard must do after a key.
    enum Command: Equatable, Sendable {
        case quit
        /// Enter: the dashboard turns the selected row into a `Detail` (it knows the rows).
        case openDetail
        case retune(window: String, reporter: IstioQueries.Reporter)
        /// `P`: the poller asks another profile's queries.
        case profile(MetricsProfile.Choice)
        /// A replay's key: the dashboard moves the replay's clock.
        case replay(ReplayMove)
    }

    enum ReplayMove: Equatable, Sendable {
        case toggle, faster, slower
        case jump(seconds: Double)
        /// `g`'s text, as typed: the dashboard knows the recording's times.
        case goTo(String)
    }

    /// What the text typed at the footer's prompt is for.
    enum PromptKind: Equatable, Sendable { case filter, time, graphFilter }

    static let windows = ["1m", "5m", "15m"]

    var focus: Panel = .traffic
    /// Panels on screen, in Tab order (the Load panel only with --load).
    var panels: [Panel] = [.traffic, .etcd, .requests]
    var selection: [Panel: Int] = [:]
    var filters: [Panel: TextFilter] = [:]
    /// The filter being typed after `/`, nil when not typing.
    var prompt: String?
    var promptError: String?
    var promptKind: PromptKind = .filter
    /// The dashboard plays a recording: its keys come first.
    var replaying = false
    var errorsOnly = false
    var sort: SortColumn = .rps
    var descending = true
    var paused = false
    var help = false
    var detail: Detail?
    var detailScroll = 0
    var window = "1m"
    var reporter: IstioQueries.Reporter = .auto
    var profile: MetricsProfile.Choice = .auto
    /// The Traffic panel's namespace: only edges from or to it; nil for every namespace.
    var scope: String?
    /// The namespaces `N` cycles through, from the edges on screen when the key came.
    var namespaces: [String] = []
    /// The graph view's selection, view, filter and scope.
    var graph = GraphViewState()

    /// Rows each panel showed in the last frame, so scrolling stops at the last one.
    var rowCounts: [Panel: Int] = [:]
    /// Rows a page holds in the focused panel, from the last frame.
    var pageRows: [Panel: Int] = [:]

    func selected(_ panel: Panel) -> Int { selection[panel] ?? 0 }

    /// Performs what the key's binding (`KeyBinding.panels`, or `.details` while a
    /// detail is open) says; any key closes the help.
    mutating func handle(_ key: Key) -> Command? {
        if prompt != nil { return handlePrompt(key) }
        if help {
            // Any key closes the help; the quitting keys still quit.
            help = false
            return KeyBinding.find(key, in: KeyBinding.panels)?.action == .quit ? .quit : nil
        }
        if replaying, detail == nil, let binding = KeyBinding.find(key, in: KeyBinding.replay) { return perform(binding.action) }
        if detail == .graph {
            guard let binding = KeyBinding.find(key, in: KeyBinding.graph) else { return nil }
            return performInGraph(binding.action)
        }
        let table = detail != nil ? KeyBinding.details : KeyBinding.panels
        guard let binding = KeyBinding.find(key, in: table) else { return nil }
        return detail != nil ? performInDetail(binding.action) : perform(binding.action)
    }

    private mutating func perform(_ action: KeyBinding.Action) -> Command? {
        switch action {
        case .quit: return .quit
        case .nextPanel: moveFocus(by: 1)
        case .previousPanel: moveFocus(by: -1)
        case .up: scroll(by: -1)
        case .down: scroll(by: 1)
        case .pageUp: scroll(by: -max(1, pageRows[focus] ?? 10))
        case .pageDown: scroll(by: max(1, pageRows[focus] ?? 10))
        case .top: selection[focus] = 0
        case .bottom: selection[focus] = max(0, (rowCounts[focus] ?? 1) - 1)
        case .details: return .openDetail
        case .filter:
            prompt = filters[focus]?.text ?? ""
            promptError = nil
            promptKind = .filter
        case .errorsOnly:
            errorsOnly.toggle()
            selection = [:]
        case .reporter:
            reporter = reporter.next
            return .retune(window: window, reporter: reporter)
        case .window:
            let next = (Self.windows.firstIndex(of: window).map { $0 + 1 } ?? 0) % Self.windows.count
            window = Self.windows[next]
            return .retune(window: window, reporter: reporter)
        case .profile:
            profile = profile.next
            return .profile(profile)
        case .sort:
            let all = SortColumn.allCases
            sort = all[((all.firstIndex(of: sort) ?? 0) + 1) % all.count]
            descending = sort != .name
        case .reverseSort: descending.toggle()
        case .namespace:
            scope = Self.nextScope(after: scope, in: namespaces)
            selection[.traffic] = 0
        case .pause: paused.toggle()
        case .help: help = true
        case .clear:
            // Esc clears the focused panel's filter, as in k9s.
            filters[focus] = nil
            errorsOnly = false
        case .back: detail = nil
        case .hops:
            detail = .hops
            detailScroll = 0
        case .ledger:
            detail = .ledger
            detailScroll = 0
        case .graph:
            detail = .graph
            graph.reveal()
        case .play: return .replay(.toggle)
        case .faster: return .replay(.faster)
        case .slower: return .replay(.slower)
        case .minuteBack: return .replay(.jump(seconds: -60))
        case .minuteOn: return .replay(.jump(seconds: 60))
        case .goTo:
            prompt = ""
            promptError = nil
            promptKind = .time
        default: break  // the graph's own keys
        }
        return nil
    }

    private mutating func performInGraph(_ action: KeyBinding.Action) -> Command? {
        switch action {
        case .quit: return .quit
        case .back:
            if graph.filter != nil { graph.filter = nil } else { detail = nil }
        case .up: graph.move(.up)
        case .down: graph.move(.down)
        case .left: graph.move(.left)
        case .right: graph.move(.right)
        case .panLeft: graph.pan(x: -10, y: 0)
        case .panRight: graph.pan(x: 10, y: 0)
        case .panUp: graph.pan(x: 0, y: -5)
        case .panDown: graph.pan(x: 0, y: 5)
        case .details:
            if let node = graph.selected, graph.boxes.contains(where: { $0.node == node }) {
                detail = .node(node)
                detailScroll = 0
            }
        case .filter:
            prompt = graph.filter?.text ?? ""
            promptError = nil
            promptKind = .graphFilter
        case .namespace:
            graph.scope = Self.nextScope(after: graph.scope, in: graph.namespaces)
            graph.origin = .init(x: 0, y: 0)
        case .collapse:
            graph.collapsed = !(graph.collapsed ?? graph.autoCollapsed)
            graph.origin = .init(x: 0, y: 0)
        case .help: help = true
        default: break
        }
        return nil
    }

    private mutating func performInDetail(_ action: KeyBinding.Action) -> Command? {
        switch action {
        case .quit: return .quit
        case .back:
            if case .node = detail { detail = .graph } else { detail = nil }
        case .up: detailScroll = max(0, detailScroll - 1)
        case .down: detailScroll += 1
        case .pageUp: detailScroll = max(0, detailScroll - 10)
        case .pageDown: detailScroll += 10
        case .top: detailScroll = 0
        default: break  // the details table binds nothing else
        }
        return nil
    }

    private mutating func handlePrompt(_ key: Key) -> Command? {
        guard var text = prompt else { return nil }
        switch key {
        case .enter where promptKind == .time:
            prompt = nil
            promptError = nil
            return text.isEmpty ? nil : .replay(.goTo(text))
        case .enter where promptKind == .graphFilter:
            do {
                graph.filter = text.isEmpty ? nil : try TextFilter(text)
            } catch {
                promptError = "not a regular expression: \(text.dropFirst(3))"
                return nil
            }
            graph.origin = .init(x: 0, y: 0)
            prompt = nil
            promptError = nil
        case .enter:
            if text.isEmpty {
                filters[focus] = nil
            } else {
                do {
                    filters[focus] = try TextFilter(text)
                } catch {
                    promptError = "not a regular expression: \(text.dropFirst(3))"
                    return nil
                }
            }
            selection[focus] = 0
            prompt = nil
            promptError = nil
        case .escape:
            prompt = nil
            promptError = nil
        case .interrupt: return .quit
        case .backspace:
            if !text.isEmpty { text.removeLast() }
            prompt = text
        case .character(let character):
            // Typed text is shown in the footer: control characters never go in.
            if !character.unicodeScalars.contains(where: { ControlBytes.isControl($0) }), text.count < 200 {
                text.append(character)
            }
            prompt = text
        default: break
        }
        return nil
    }

    /// All, then each namespace in order, then all again; a scope no edge has (an explicit
    /// `-n` before its traffic came) keeps its place in the order.
    static func nextScope(after scope: String?, in namespaces: [String]) -> String? {
        let order = Set(namespaces + (scope.map { [$0] } ?? [])).sorted()
        guard let scope, let index = order.firstIndex(of: scope) else { return order.first }
        return index + 1 < order.count ? order[index + 1] : nil
    }

    private mutating func moveFocus(by step: Int) {
        guard let index = panels.firstIndex(of: focus) else {
            focus = panels.first ?? .traffic
            return
        }
        focus = panels[(index + step + panels.count) % panels.count]
    }

    private mutating func scroll(by step: Int) {
        let last = max(0, (rowCounts[focus] ?? 0) - 1)
        selection[focus] = min(last, max(0, selected(focus) + step))
    }
}
