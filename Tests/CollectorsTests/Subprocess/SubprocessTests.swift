import Collectors
import Foundation
import Testing

extension ChildProcessTests {
    /// The one helper that starts processes, against real tools.
    @Suite struct SubprocessTests {
        @Test func runToItsEndGivesStatusOutputAndTheFirstErrorLines() throws {
            let run = try Subprocess.run("sh", ["-c", "echo out; echo first >&2; echo second >&2; exit 3"])
            #expect(run.status == 3)
            #expect(String(decoding: run.output, as: UTF8.self) == "out\n")
            #expect(run.errorLines == ["first", "second"])
            #expect(run.lastErrorLine == "second")
            #expect(!run.timedOut && !run.outputTruncated)
        }

        @Test func catReadsAFileToItsEndAndStdinIsEmpty() throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("subprocess-\(UUID().uuidString)").path
            let text = (1...2_000).map { "line \($0)" }.joined(separator: "\n")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = try Subprocess.run("cat", [path])
            #expect(run.status == 0)
            #expect(String(decoding: run.output, as: UTF8.self) == text)
            // With no file cat reads its standard input: empty, not meshtop's own.
            let stdin = try Subprocess.run("cat", [], timeout: .seconds(10))
            #expect(stdin.status == 0 && stdin.output.isEmpty && !stdin.timedOut)
        }

        @Test func outputPastTheBoundIsCutAndTheProcessEnded() throws {
            let run = try Subprocess.run("sh", ["-c", "while :; do echo 0123456789; done"], maxOutputBytes: 1_000)
            #expect(run.outputTruncated)
            #expect(run.output.count == 1_000)
            #expect(run.status != 0)
        }

        @Test func aToolNotOnPathIsAnError() {
            #expect {
                try Subprocess.run("meshtop-no-such-tool", [])
            } throws: { error in
                "\(error)".contains("cannot run meshtop-no-such-tool: not found on PATH")
            }
            #expect(Subprocess.locate("sh", path: "/nonexistent:/bin") == "/bin/sh")
            #expect(Subprocess.locate("sh", path: "/nonexistent") == nil)
        }

        @Test func theDeadlineEndsARunThatTakesTooLong() throws {
            let clock = ContinuousClock()
            let started = clock.now
            let run = try Subprocess.run("sleep", ["30"], timeout: .milliseconds(300))
            #expect(run.timedOut)
            #expect(run.status == 128 + SIGTERM)
            #expect(clock.now - started < .seconds(10))
        }

        @Test func terminateEndsAFollowAndTheOutputIsReadAsItComes() throws {
            let process = try Subprocess("sh", ["-c", "echo ready; exec sleep 30"])
            let handle = try #require(process.output)
            var seen = Data()
            while !seen.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen += chunk
            }
            #expect(String(decoding: seen, as: UTF8.self) == "ready\n")
            #expect(process.isRunning)
            process.terminate()
            #expect(!process.isRunning)
            #expect(process.waitForExit(timeout: .seconds(1)) == 128 + SIGTERM)
            // The pipe's far end is closed with the process.
            #expect(handle.availableData.isEmpty)
        }

        @Test func aToolThatIgnoresSigtermIsKilled() throws {
            let process = try Subprocess("sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"])
            _ = process.output?.availableData
            process.terminate(grace: .milliseconds(200))
            #expect(process.waitForExit(timeout: .seconds(1)) == 128 + SIGKILL)
        }
    }
}
