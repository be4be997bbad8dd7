import Collectors
import Foundation
import TestSupport
import Testing

@testable import MeshTop

/// The dashboard as a user sees it: meshtop in a tmux pane on a local stack (etcd,
/// storage-service with Istio metrics and an access log, Prometheus, and traffic whose
/// client-side lines go to a second log), driven by keys and read with capture-pane.
@Suite(
    .serialized,
    .enabled(
        if: PrometheusServer.shouldRun && EtcdServer.shouldRun && TmuxSession.shouldRun, "prometheus, etcd or tmux is not installed"))
struct DashboardTests {
    /// Requests with a fresh x-request-id each, and the client-side line of each written to
    /// `clientLog` in the istio format, as a calling sidecar would.
    private func traffic(_ service: ServiceProcess, clientLog: URL) -> Task<Void, Never> {
        FileManager.default.createFile(atPath: clientLog.path, contents: nil)
        let url = service.url
        let port = service.port
        return Task.detached {
            let writer = AccessLogWriter()
            guard let log = try? FileHandle(forWritingTo: clientLog) else { return }
            var n = 0
            while !Task.isCancelled {
                n += 1
                let id = UUID().uuidString.lowercased()
                let key = "k\(n % 5)"
                let put = n % 2 == 1
                let path = put ? "/storage" : "/storage/\(key)"
                let started = Date()
                let stamp = EnvoyTimestamp.now()
                let status = await OffPool.run { () -> Int in
                    let easy = try? CurlEasy()
                    let request = CurlRequest(
                        url: url + path, method: put ? "PUT" : "GET",
                        headers: [("x-request-id", id), ("Content-Type", "application/json")],
                        body: put ? Array(#"{"key":"\#(key)","value":"v"}"#.utf8) : nil)
                    return (try? easy?.perform(request))??.status ?? 0
                }
                var record = AccessLogRecord()
                record.startTime = stamp
                record.method = put ? "PUT" : "GET"
                record.path = path
                record.protocol = "HTTP/1.1"
                record.responseCode = status
                record.responseFlags = "-"
                record.duration = max(1, Int(Date().timeIntervalSince(started) * 1_000))
                record.requestID = id
                record.authority = "127.0.0.1:\(port)"
                record.upstreamCluster = "outbound|\(port)||storage-service.default.svc.cluster.local"
                log.write(Data((writer.line(for: record) + "\n").utf8))
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test func dashboardInATerminal() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverLog = directory.appendingPathComponent("server.log")
        let clientLog = directory.appendingPathComponent("client.log")

        let etcd = try await EtcdServer(enableV2: true)
        defer { etcd.stop() }
        let service = try await ServiceProcess(etcd: etcd.clientURL, arguments: ["--istio-metrics", "--access-log", serverLog.path])
        defer { service.stop() }
        let prometheus = try await PrometheusServer(scraping: ["127.0.0.1:\(service.port)"])
        defer { prometheus.stop() }
        let load = traffic(service, clientLog: clientLog)
        defer { load.cancel() }

        let tmux = try TmuxSession(width: 200, height: 50)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        let command =
            "\(meshtop) --prometheus \(prometheus.url) --etcd \(etcd.clientURL) --service \(service.url) "
            + "--logs \(clientLog.path) --logs \(serverLog.path) --interval 500ms --window 10s"
        try tmux.type(command + "; echo EXIT=$?")

        // Three panels with live numbers, and GET /storage/… pairs.
        try await tmux.waitFor("the three panels with an edge and pairs", within: 60) { screen in
            screen.contains("┌ Traffic") && screen.contains("├ etcd") && screen.contains("├ Requests")
                && screen.range(of: #"→ default/storage-service +[0-9]+\.[0-9]"#, options: .regularExpression) != nil
                && screen.range(of: #"GET /storage/k[0-9] +200  client [0-9]+ ms +server [0-9]+ ms"#, options: .regularExpression) != nil
                && screen.range(of: #"\(([1-9][0-9,]*) paired"#, options: .regularExpression) != nil
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
        try await tmux.waitFor("the Requests filter") { $0.contains("├ Requests") && $0.contains("filter k1") }
        screen = tmux.screen
        let requestRows = requestLines(screen)
        #expect(!requestRows.isEmpty)
        #expect(requestRows.allSatisfy { $0.contains("k1") }, "unfiltered rows: \(requestRows)")
        #expect(screen.contains("→ default/storage-service"), "the Traffic panel is not filtered")

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
        let handle = try FileHandle(forWritingTo: serverLog)
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
/// with no log tailed its own client lines fill the Requests panel.
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun && TmuxSession.shouldRun, "etcd or tmux is not installed"))
struct DashboardLoadTests {
    @Test func loadPanelAndItsOwnLines() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let service = try await ServiceProcess(etcd: etcd.clientURL)
        defer { service.stop() }

        let tmux = try TmuxSession(width: 160, height: 40)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        try tmux.type("\(meshtop) --etcd \(etcd.clientURL) --load \(service.url)/ --rps 20 -d 3s; echo EXIT=$?")
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
}
