import Foundation
import TestSupport
import Testing

/// The dashboard on the local mesh while its ingress gateway is killed and started again:
/// meshtop's own load through the gateway, the three proxies' access logs, Prometheus.
/// With the gateway down the load's requests fail (the Load panel counts them) and its scrape
/// target is down (the header says so); once it is back they are served and paired again.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun && TmuxSession.shouldRun, "envoy, etcd, prometheus or tmux is not installed"))
struct MeshDashboardRecoveryTests {
    // The limit counts the wait for the one mesh slot (`LocalMesh`), behind every other mesh
    // suite of the run: its own waits are bounded on their own.
    @Test(.timeLimit(.minutes(12))) func theGatewayKilledAndRestartedUnderARunningDashboard() async throws {
        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "k") == 201)

        let tmux = try TmuxSession(width: 200, height: 50)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        let logs = mesh.accessLogs.map { "--logs \($0)" }.joined(separator: " ")
        try tmux.type(
            "\(meshtop) --prometheus \(mesh.prometheus) \(logs) --load \(mesh.gateway)/storage/k --rps 20 "
                + "--interval 500ms --window 10s; echo EXIT=$?")

        // Served: no errors, the gateway's hop paired, the service's edge from Prometheus.
        let served = #"GET /storage/k +200  client [0-9]+ ms +server [0-9]+ ms"#
        try await tmux.waitFor("the load served and paired", within: 60) { screen in
            screen.contains("┌ Load") && screen.contains(" 0 errors") && Self.count("sent", in: screen) ?? 0 > 0
                && screen.range(of: served, options: .regularExpression) != nil
                && screen.range(of: #"→ default/proxy-etcd-storage +[0-9]+\.[0-9]"#, options: .regularExpression) != nil
        }

        // The gateway killed: the load's requests are refused and counted (no proxy is left
        // to write a line for them; the load's own lines are not in the panel while logs are).
        try await mesh.fault("stop", "istio-ingressgateway")
        try await tmux.waitFor("the load's failures and the gateway's scrape target down", within: 30) { screen in
            (Self.count("errors", in: screen) ?? 0) > 0 && screen.range(of: #"prom ‼ [0-9]+/[0-9]+ targets up"#, options: .regularExpression) != nil
        }
        #expect(mesh.isRunning, "\(mesh.supervisorErrors)")

        // Started again: the newest request is served and paired, and the errors stop growing.
        try await mesh.fault("start", "istio-ingressgateway")
        try await tmux.waitFor("the newest request served again", within: 60) { screen in
            Self.requestRows(screen).first?.range(of: served, options: .regularExpression) != nil
        }
        // A request or two may still fail as the gateway comes up: from the last error on.
        var errors = try #require(Self.count("errors", in: tmux.screen))
        var sent = try #require(Self.count("sent", in: tmux.screen))
        try await tmux.waitFor("20 requests in a row without an error", within: 30) { screen in
            guard let nowSent = Self.count("sent", in: screen), let nowErrors = Self.count("errors", in: screen) else { return false }
            if nowErrors != errors { (errors, sent) = (nowErrors, nowSent) }
            return nowSent >= sent + 20
        }
        // Prometheus sees the gateway's target up again at its next scrape.
        try await tmux.waitFor("every scrape target up again", within: 30) { $0.contains("prom ✓") }
        #expect(mesh.isRunning, "\(mesh.supervisorErrors)")

        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }
    }

    /// The number before `word` in the Load panel ("1,234 sent", "5 errors").
    static func count(_ word: String, in screen: String) -> Int? {
        guard let range = screen.range(of: #"[0-9][0-9,]* \#(word)\b"#, options: .regularExpression) else { return nil }
        return Int(screen[range].prefix { $0 != " " }.replacingOccurrences(of: ",", with: ""))
    }

    /// The rows of the Requests panel with a request through the storage API, newest first.
    static func requestRows(_ screen: String) -> [String] {
        let lines = screen.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("├ Requests") }) else { return [] }
        return lines[(start + 1)...].prefix { !$0.hasPrefix("└") }.filter { $0.contains("/storage") }
    }
}
