import Foundation
import RouteLedgerProcess
import Testing
import TestSupport

/// The one way RouteLedger and its tests run a program to completion (swift-subprocess underneath).
@Suite("Running a command")
struct CommandRunnerTests {
    @Test("stdout and stderr together in the order written, the exit status; or each apart, with stdin given")
    func output() async {
        let merged = await CommandRunner.run("/bin/sh", ["-c", "echo 1; echo 2 >&2; echo 3; exit 3"], timeout: Patience.duration)
        #expect(merged.status == 3 && merged.output == "1\n2\n3\n" && !merged.timedOut)
        #expect(merged.failure == "1\n2\n3")
        let apart = await CommandRunner.run("/bin/sh", ["-c", "cat; echo oops >&2"], input: Array("in".utf8), separateErrors: true,
                                            timeout: Patience.duration, workingDirectory: "/")
        #expect(apart.status == 0 && apart.output == "in" && apart.errorOutput == "oops\n" && apart.failure == nil)
    }

    @Test("a program that cannot be started is status 127, named; a name is looked up on the PATH")
    func missing() async {
        let missing = await CommandRunner.run("/no/such/program", [], timeout: Patience.duration)
        #expect(missing.status == 127 && missing.output.contains("/no/such/program"))
        #expect(await CommandRunner.run("true", [], timeout: Patience.duration).status == 0)
    }

    @Test("past its timeout the command is stopped, with what it started (its own session), and says so")
    func timeout() async throws {
        let marker = "299.\(Int.random(in: 100_000...999_999))"
        let started = ContinuousClock.now
        // The shell ignores SIGTERM and waits for a child: only the group's SIGKILL ends both.
        let outcome = await CommandRunner.run("/bin/sh", ["-c", "trap '' TERM; sleep \(marker) & wait"], timeout: .milliseconds(300))
        #expect(outcome.timedOut && outcome.status == 137)
        #expect(outcome.output == "/bin/sh did not finish within 0.3 s and was stopped")
        #expect(ContinuousClock.now - started < Patience.duration)
        let left = await CommandRunner.run("/usr/bin/pgrep", ["-f", "sleep \(marker)"], timeout: Patience.duration)
        #expect(left.status == 1, "no sleep left: \(left.output)")
    }
}
