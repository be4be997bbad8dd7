import Collectors
import Foundation

/// The top line: where meshtop looks, each source's state, the metrics profile, the clock
/// and the interval.
enum HeaderLine {
    /// The full line; without latencies and the interval when it does not fit; then without
    /// the profile, which the Traffic panel's title still names.
    static func line(_ model: ScreenModel, _ state: UIState, width: Int = .max) -> Line {
        func fits(_ line: Line) -> Bool { line.reduce(0) { $0 + DisplayWidth.of($1.text) } <= width }
        let full = line(model, state, compact: false, profile: true)
        if fits(full) { return full }
        let compact = line(model, state, compact: true, profile: true)
        return fits(compact) ? compact : line(model, state, compact: true, profile: false)
    }

    private static func line(_ model: ScreenModel, _ state: UIState, compact: Bool, profile: Bool) -> Line {
        var line: Line = [Segment(" meshtop ", .title)]
        if let context = model.context { line += [Segment(" ctx ", .dimmed), Segment(context)] }
        if let namespace = model.namespace { line += [Segment(" ns ", .dimmed), Segment(namespace)] }
        line.append(Segment(compact ? " " : "  "))
        line += source("prom", .prometheus, model, compact: compact)
        if profile, model.snapshot.backends[.prometheus]?.configured == true {
            let status = model.snapshot.profile
            line += [Segment("profile ", .dimmed), Segment(status.label, status.noSeries == nil ? .plain : .warn), Segment(compact ? " " : "   ")]
        }
        line += etcd(model, compact: compact)
        line += source("svc", .service, model, compact: compact)
        if model.snapshot.backends[.kubernetes]?.configured == true { line += source("kube", .kubernetes, model, compact: compact) }
        line.append(Segment(" " + Format.clock(model.now, timeZone: model.timeZone), .plain))
        if !compact { line.append(Segment("  every " + Format.interval(model.interval), .dimmed)) }
        if let replay = model.replay {
            let mark = replay.atEnd ? " REPLAY END " : replay.paused ? " REPLAY PAUSED " : " REPLAY \(Self.speed(replay.speed)) "
            line += [Segment("  "), Segment(mark, Style(color: .cyan, bold: true, reverse: true))]
            let at = replay.time.timeIntervalSince(replay.start)
            line.append(Segment(" +" + Self.offset(at) + " of " + Self.offset(replay.end.timeIntervalSince(replay.start)), .dimmed))
        }
        if state.paused { line += [Segment("  "), Segment(" PAUSED ", Style(color: .yellow, bold: true, reverse: true))] }
        return line
    }

    /// 0.5×, 4×.
    static func speed(_ speed: Double) -> String {
        (speed == speed.rounded() ? String(Int(speed)) : Format.decimal(speed, places: 1)) + "×"
    }

    /// 1:05, 1:02:03.
    static func offset(_ seconds: TimeInterval) -> String {
        let whole = max(0, Int(seconds))
        let (hours, minutes, rest) = (whole / 3_600, whole / 60 % 60, whole % 60)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(rest))" : "\(minutes):\(two(rest))"
    }

    /// "prom ✓ 12 ms", or "prom ✗ connection refused, 12 s ago" while it fails, or
    /// "prom ‼ partial: store …" while its answers carry warnings, or "prom ‼ 6/7 targets up"
    /// while it answers but does not reach every target.
    private static func source(_ label: String, _ source: Snapshot.Backend, _ model: ScreenModel, compact: Bool) -> Line {
        guard let state = model.snapshot.backends[source], state.configured else {
            return [Segment(label + " – ", .dimmed), Segment("  ")]
        }
        if !state.ok, state.lastAttempt == nil {
            // Not asked yet (the first seconds): nothing has failed.
            return [Segment(label + " …" + (compact ? " " : "   "), .dimmed)]
        }
        if state.ok {
            // A partial answer (Thanos with a store down) looks like less traffic: say so first.
            if source == .prometheus, let warning = model.snapshot.prometheusWarnings.first {
                let more = model.snapshot.prometheusWarnings.count > 1 ? " (+\(model.snapshot.prometheusWarnings.count - 1))" : ""
                let text = Format.fit("partial: " + warning, 32).trimmingCharacters(in: .whitespaces) + more
                return [Segment(label + " "), Segment("‼", .warn), Segment(" " + text + (compact ? " " : "   "), .warn)]
            }
            // Prometheus answers, but a target it scrapes is down: that job's figures go stale.
            if source == .prometheus, let targets = model.snapshot.health.first(where: { $0.name == "scrape targets" }),
                targets.status == .warn || targets.status == .fail {
                return [Segment(label + " "), Segment("‼", .warn), Segment(" " + Format.fit(targets.message, 32).trimmingCharacters(in: .whitespaces) + (compact ? " " : "   "), .warn)]
            }
            let latency = compact ? " " : " " + Format.milliseconds(state.latency) + "   "
            return [Segment(label + " "), Segment("✓", .good), Segment(latency, .dimmed)]
        }
        return [Segment(label + " "), Segment("✗", .bad), Segment(" " + failure(state, model) + "   ", .warn)]
    }

    private static func failure(_ state: BackendFreshness, _ model: ScreenModel) -> String {
        let reason = Format.fit(state.error ?? "no answer yet", 32).trimmingCharacters(in: .whitespaces)
        guard let age = state.age(at: model.now) else { return reason + (state.lastAttempt == nil ? "" : ", never ok") }
        return reason + ", " + Format.age(age) + " ago"
    }

    /// "etcd 3/3 ✓ leader m1".
    private static func etcd(_ model: ScreenModel, compact: Bool) -> Line {
        guard let state = model.snapshot.backends[.etcd], state.configured, let view = model.snapshot.etcd, state.ok else {
            return source("etcd", .etcd, model, compact: compact)
        }
        let healthy = view.members.filter { $0.healthy == true }.count
        let all = healthy == view.members.count && view.leader != nil
        var line: Line = [Segment("etcd \(healthy)/\(view.members.count) "), Segment(all ? "✓" : "‼", all ? .good : .warn)]
        if let leader = model.memberName(id: view.leader) {
            line.append(Segment(" leader " + leader + (compact ? " " : "   "), .dimmed))
        } else {
            line.append(Segment(" no leader   ", .bad))
        }
        return line
    }
}
