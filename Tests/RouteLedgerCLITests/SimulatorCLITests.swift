import Foundation
import RouteLedgerProcess
import RouteLedgerSimulator
import Testing
import TestSupport

/// `routeledger-sim`, the churn simulator as a command.
@Suite("routeledger-sim")
struct SimulatorCLITests {
    static let executable = CLI.executable.deletingLastPathComponent().appendingPathComponent("routeledger-sim")

    /// Runs `routeledger-sim ARGS` to its end.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: Data, stderr: String) {
        let outcome = await CommandRunner.run(executable.path, arguments, separateErrors: true, timeout: Patience.duration)
        return (outcome.status, Data(outcome.bytes), outcome.errorOutput)
    }

    @Test("writes exactly the simulator library's lines, to stdout or a file, across its 1 MiB flushes")
    func sameBytes() async throws {
        let configuration = ChurnConfiguration(seed: 7, services: 30, networks: 3, eventIDPrefix: "sim-")
        let expected = ChurnSimulator.lines(6_000, configuration)
        #expect(expected.count > 1 << 20)
        let result = try await Self.run(["--events", "6000", "--seed", "7", "--services", "30", "--networks", "3", "--id-prefix", "sim-"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect([UInt8](result.stdout) == expected)

        let cli = try CLI()
        defer { cli.cleanUp() }
        let file = cli.directory.appendingPathComponent("churn.jsonl").path
        let written = try await Self.run(["--events", "1500", "--seed", "7", "--services", "30", "--networks", "3", "--id-prefix", "sim-", "--out", file])
        #expect(written.status == 0)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) == ChurnSimulator.lines(1_500, configuration))
        #expect(written.stderr.contains("wrote 1500 events"))
        #expect(try await Self.run(["--events", "10", "--services", "0"]).status != 0)
    }

    @Test("the sample in data/simulated is the simulator's output, and appends as a valid log beside the demo's scenarios")
    func committedSample() async throws {
        let sample = CLI.repository.appendingPathComponent("data/simulated/churn-seed42-1k.jsonl")
        #expect([UInt8](try Data(contentsOf: sample)) == ChurnSimulator.lines(1_000, ChurnConfiguration(seed: 42, services: 20)))
        let cli = try CLI()
        defer { cli.cleanUp() }
        let result = try await cli.run(["append", sample.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "appended 1000 events; last seq 1000\n")
    }
}
