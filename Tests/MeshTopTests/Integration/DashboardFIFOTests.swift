import Foundation
import TestSupport
import Testing

/// Issue 8: `--logs FIFO` with no writer used to block in open(2) before the first frame:
/// a blank pane, `q` ignored. Only tmux is needed: the other sources point at a closed port.
@Suite(.serialized, .enabled(if: TmuxSession.shouldRun, "tmux is not installed"))
struct DashboardFIFOTests {
    @Test(.timeLimit(.minutes(2))) func aFIFOWithoutAWriterLetsTheDashboardDrawAndQuit() async throws {
        // Short paths: the panel's one line names both sources and then the FIFO's note.
        let directory = URL(fileURLWithPath: "/tmp/mt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("proxy.fifo").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let other = directory.appendingPathComponent("other.log")
        _ = FileManager.default.createFile(atPath: other.path, contents: nil)

        let tmux = try TmuxSession(width: 160, height: 30)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        try tmux.type(
            "\(meshtop) --prometheus http://127.0.0.1:9 --etcd http://127.0.0.1:9 --interval 500ms "
                + "--logs \(fifo) --logs \(other.path); echo EXIT=$?")
        try await tmux.waitFor("the panels, the FIFO waiting") { screen in
            screen.contains("┌ Traffic") && screen.contains("├ Requests") && screen.contains("waiting for a writer")
        }
        // The other source is read meanwhile.
        try (LogsFIFOLines.client + "\n").write(to: other, atomically: false, encoding: .utf8)
        try await tmux.waitFor("the other source's line") { $0.contains("/v2/keys/istioTest") }
        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }
        #expect(try tmux.display("#{alternate_on}") == "0")
    }
}

enum LogsFIFOLines {
    static let client =
        #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 6 5 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "172.17.0.9:2379""#
}
