import Collectors
import Foundation
import TestSupport
import Testing

@testable import MeshTop

/// The dashboard as a user sees it: meshtop in a tmux pane on the local mesh (etcd and
/// storage-service behind their Envoy sidecars, the ingress gateway, Prometheus, the service's
/// Istio metrics), with traffic through the gateway and the three proxies' access logs,
/// driven by keys and read with capture-pane.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun && TmuxSession.shouldRun, "envoy, prometheus, etcd or tmux is not installed"))
struct DashboardTests {
    /// PUTs and GETs through the gateway, each with a fresh x-request-id, every 100 ms.
    private func traffic(_ gateway: String) -> Task<Void, Never> {
        Task.detached {
            var n = 0
            while !Task.isCancelled {
                n += 1
                let key = "k\(n % 5)"
                if n % 2 == 1 {
                    _ = await MeshLogs.put(gateway, key: key)
                } else {
                    _ = await MeshLogs.send(gateway + "/storage/" + key)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test func dashboardInATerminal() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The proxies' logs, and one of the test's own for a hostile line (Envoy appends to its own).
        let otherLog = directory.appendingPathComponent("other.log")
        _ = FileManager.default.createFile(atPath: otherLog.path, contents: nil)

        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        let etcd = try #require(mesh.description.etcd.first)
        let load = traffic(mesh.gateway)
        defer { load.cancel() }

        let tmux = try TmuxSession(width: 200, height: 50)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        let logs = (mesh.accessLogs + [otherLog.path]).map { "--logs \($0)" }.joined(separator: " ")
        let command =
            "\(meshtop) --prometheus \(mesh.prometheus) --etcd \(etcd) --service \(mesh.description.service) "
            + "\(logs) --interval 500ms --window 10s"
        try tmux.type(command + "; echo EXIT=$?")

        // Three panels with live numbers, and GET /storage/… pairs.
        try await tmux.waitFor("the three panels with an edge and pairs", within: 60) { screen in
            screen.contains("┌ Traffic") && screen.contains("├ etcd") && screen.contains("├ Requests")
                && screen.range(of: #"→ default/proxy-etcd-storage +[0-9]+\.[0-9]"#, options: .regularExpression) != nil
                && screen.range(of: #"GET /storage/k[0-9] +200  client [0-9]+ ms +server [0-9]+ ms"#, options: .regularExpression) != nil
                && screen.range(of: #"\(([1-9][0-9,]*) paired"#, options: .regularExpression) != nil
                && screen.range(of: #"rev [0-9]+ \(\+[0-9.]+/s\)"#, options: .regularExpression) != nil
        }
        var screen = tmux.screen
        #expect(screen.contains("prom ✓") && screen.contains("etcd 1/1 ✓") && screen.contains("svc ✓"))
        #expect(screen.range(of: #"rev [0-9]+ \(\+[0-9.]+/s\)"#, options: .regularExpression) != nil)
        #expect(try tmux.capture().count == 50)
        let title = try tmux.display("#{pane_title}")

        // ? opens the help; any key closes it.
        try tmux.send("?")
        try await tmux.waitFor("the help") { $0.contains("this help; any key closes it") }
        try tmux.send("x")
        try await tmux.waitFor("the help closed") { !$0.contains("this help; any key closes it") }

        // Tab twice focuses Requests; / filters that panel only.
        try tmux.send("Tab", "Tab", "/")
        try await tmux.waitFor("the filter prompt") { $0.contains("Enter apply · Esc cancel") }
        try tmux.send("-l", "k1")
        try tmux.send("Enter")
        // GET /storage/k1 comes every tenth request: wait for one. A capture can catch the
        // terminal mid-frame (the title drawn, the rows below not yet), so the rows are
        // waited for too: a filter that lets other rows through times out here.
        try await tmux.waitFor("the Requests filter") {
            $0.contains("├ Requests") && $0.contains("filter k1") && !requestLines($0).isEmpty
                && requestLines($0).allSatisfy { $0.contains("k1") }
        }
        screen = tmux.screen
        let requestRows = requestLines(screen)
        #expect(!requestRows.isEmpty, "\(screen)")
        #expect(requestRows.allSatisfy { $0.contains("k1") }, "unfiltered rows: \(requestRows)")
        #expect(screen.contains("→ default/proxy-etcd-storage"), "the Traffic panel is not filtered")

        // e: errors only; this traffic has none.
        try tmux.send("e")
        try await tmux.waitFor("errors only") { $0.contains("errors only") && $0.contains("no request matches") }
        try tmux.send("e")
        try await tmux.waitFor("errors only off") { !$0.contains("errors only") }

        // Enter opens the selected request with both raw lines; Esc goes back.
        try tmux.send("Enter")
        try await tmux.waitFor("the request's details") {
            $0.contains("x-request-id") && $0.contains("client side (") && $0.contains("server side (") && $0.contains("raw line")
        }
        try tmux.send("Escape")
        try await tmux.waitFor("the panels again") { $0.contains("┌ Traffic") && !$0.contains("raw line") }

        // p freezes the screen (the clock too); p again lets it go on.
        try tmux.send("p")
        try await tmux.waitFor("paused") { $0.contains("PAUSED") }
        let frozen = tmux.screen
        try await Task.sleep(for: .milliseconds(1_500))  // the time a live screen needs to change: the clock ticks each second
        #expect(tmux.screen == frozen)
        try tmux.send("p")
        try await tmux.waitFor("running again") { !$0.contains("PAUSED") }

        // A smaller terminal: laid out again, no line wider than the pane.
        try tmux.resize(width: 100, height: 30)
        try await tmux.waitFor("the 100x30 layout") { screen in
            let lines = screen.components(separatedBy: "\n")
            return lines.count == 30 && lines.allSatisfy { DisplayWidth.of($0) <= 100 } && lines[1].hasPrefix("┌ Traffic")
                && lines[1].hasSuffix("┐")
        }

        // Escape sequences in a log line are shown, not obeyed.
        let hostile = "[2026-11-27T12:00:00.000Z] \"GET /storage/\u{1b}]0;pwned\u{07}\u{1b}[2J\u{9b}31mX\u{202e}fdp.exe HTTP/1.1\" 200 - via_upstream - \"-\" 0 0 1 1 \"-\" \"t\" \"evil-1\" \"127.0.0.1\" \"127.0.0.1\" inbound|1|| - - - - default\n"
        let handle = try FileHandle(forWritingTo: otherLog)
        handle.seekToEndOfFile()
        handle.write(Data(hostile.utf8))
        try handle.close()
        try tmux.send("Escape")  // the filter k1 would hide it
        try await tmux.waitFor("the hostile line, made visible") { $0.contains(#"GET /storage/\x1b]0;pwned"#) }
        #expect(try tmux.display("#{pane_title}") == title)
        screen = tmux.screen
        #expect(screen.contains("┌ Traffic") && screen.contains("├ Requests") && !screen.contains("pwned\u{07}"))
        // The direction override is shown as text; drawn raw it would reverse the rest of the row.
        #expect(!screen.unicodeScalars.contains("\u{202e}"))

        // q: exit status 0, the main screen and the cursor back, the shell usable.
        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }
        #expect(try tmux.display("#{alternate_on}") == "0")
        #expect(try tmux.display("#{cursor_flag}") == "1")
        try tmux.type("echo shell-'is'-usable")
        try await tmux.waitFor("the shell answering") { $0.contains("shell-is-usable") }

        // SIGTERM restores the terminal too.
        try tmux.type(command + "; echo TERMINATED=$?")
        try await tmux.waitFor("the dashboard again", within: 30) { $0.contains("┌ Traffic") }
        let shell = try tmux.display("#{pane_pid}")
        let child = try #require(try childProcess(of: shell))
        kill(child, SIGTERM)
        try await tmux.waitFor("meshtop gone after SIGTERM") { $0.contains("TERMINATED=") }
        #expect(try tmux.display("#{alternate_on}") == "0")
        #expect(try tmux.display("#{cursor_flag}") == "1")
    }

    /// The rows of the Requests panel on screen.
    private func requestLines(_ screen: String) -> [String] {
        let lines = screen.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("├ Requests") }) else { return [] }
        return lines[(start + 1)...].prefix { !$0.hasPrefix("└") }.filter { $0.contains("/storage") }
    }

    private func childProcess(of pid: String) throws -> pid_t? {
        let children = try String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)
        return children.split(separator: " ").first.flatMap { pid_t($0) }
    }
}

/// `meshtop --load URL`: the load runs inside the dashboard, its panel shows the rates, and
/// with no log tailed its own client lines fill the Requests panel (through the gateway).
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun && TmuxSession.shouldRun, "envoy, etcd or tmux is not installed"))
struct DashboardLoadTests {
    @Test func loadPanelAndItsOwnLines() async throws {
        let mesh = try await LocalMesh(prometheus: false)
        defer { mesh.stop() }
        let etcd = try #require(mesh.description.etcd.first)

        let tmux = try TmuxSession(width: 160, height: 40)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        try tmux.type("\(meshtop) --etcd \(etcd) --load \(mesh.gateway)/ --rps 20 -d 3s; echo EXIT=$?")
        try await tmux.waitFor("the load done and its lines shown", within: 30) { screen in
            screen.contains("┌ Load") && screen.range(of: #"\b(5[0-9]|6[0-9]) sent"#, options: .regularExpression) != nil
                && screen.contains(", done") && screen.contains("client only")
        }
        let screen = tmux.screen
        #expect(screen.contains("(target 20.0)"))
        #expect(screen.contains(" 0 errors"), "\(screen)")
        #expect(screen.range(of: #"GET / +200  client [0-9]+ ms +client only"#, options: .regularExpression) != nil, "\(screen)")
        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }
    }

    /// With the proxies' logs tailed, the load's own lines pair with the gateway's: `H` shows
    /// the load's hop first, the gateway's hop under it and etcd's under that, and `L` the
    /// load's hop paired to the request.
    @Test func theLoadsHopInTheHopsAndTheLedger() async throws {
        let mesh = try await LocalMesh(prometheus: false)
        defer { mesh.stop() }
        let logs = mesh.description.accessLogs.values.sorted()
        let authority = try #require(URL(string: mesh.gateway).map { "\($0.host!):\($0.port!)" })
        let tmux = try TmuxSession(width: 160, height: 40)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        let recording = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString).mtr").path
        defer { try? FileManager.default.removeItem(atPath: recording) }
        try tmux.type(
            "\(meshtop) --load \(mesh.gateway)/storage/none --rps 20 -d 3s --record \(recording) " + logs.map { "--logs \($0) " }.joined()
                + "; echo EXIT=$?")
        try await tmux.waitFor("the load done", within: 30) { $0.contains(", done") }
        try tmux.send("L")
        // The load's count (its lines), the gateway's lines and their pairs all agree.
        try await tmux.waitFor("the load's hop paired to the request", within: 20) { screen in
            screen.range(of: "load → \(authority) +([0-9]+) +- +\\1 +\\1 +\\1 +ok", options: .regularExpression) != nil
        }
        try tmux.send("\u{1b}")
        try tmux.send("H")
        try await tmux.waitFor("the load's hop above the gateway's", within: 10) { screen in
            let lines = screen.split(separator: "\n").map(String.init)
            guard let load = lines.firstIndex(where: { $0.contains("│ load → \(authority) ") }) else { return false }
            return load + 2 < lines.count && lines[load + 1].contains("│   outbound|9080||proxy-etcd-storage")
                && lines[load + 2].contains("│     outbound|2379||etcd-service")
        }
        #expect(tmux.screen.contains("its client proxy is the load's queue"))
        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }

        // --record kept the load's progress, its own lines and the proxies' lines.
        let reader = try RecordingReader(path: recording)
        var sources: [String: Int] = [:]
        var loads: [[String: Any]] = []
        while let frame = reader.next() {
            if frame.kind == RecordingFrame.Kind.logLine.rawValue { sources[frame.text(0), default: 0] += 1 }
            if frame.kind == RecordingFrame.Kind.load.rawValue,
                let object = try JSONSerialization.jsonObject(with: Data(frame.bytes(0))) as? [String: Any]
            {
                loads.append(object)
            }
        }
        #expect(reader.cut == nil && !reader.endsInsideAFrame)
        let sent = try #require(loads.last?["requests"] as? Int)
        #expect(loads.last?["done"] as? Bool == true && sent >= 50)
        #expect(sources["meshtop load"] == sent, "\(sources)")
        for log in logs { #expect((sources[log] ?? 0) >= sent, "\(log): \(sources)") }
    }
}
