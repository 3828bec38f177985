import Foundation
import RouteLedgerProcess

/// Running a program from a test: the shipped ``CommandRunner`` (swift-subprocess), which holds no thread
/// while the program runs.
public enum Command {
    /// Runs a program to completion (at most `timeout` seconds), in `directory` when given, returning its
    /// exit status and its stdout and stderr together.
    public static func run(_ program: String, _ arguments: [String], timeout: TimeInterval = 30,
                           in directory: String? = nil, environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
        let outcome = await outcome(program, arguments, timeout: timeout, in: directory, environment: environment)
        return (outcome.status, outcome.output)
    }

    /// ``run(_:_:timeout:in:environment:)``, with the output as bytes.
    public static func runCapturingBytes(_ program: String, _ arguments: [String], timeout: TimeInterval = 30,
                                         in directory: String? = nil, environment: [String: String]? = nil) async throws -> (status: Int32, output: Data) {
        let outcome = await outcome(program, arguments, timeout: timeout, in: directory, environment: environment)
        return (outcome.status, Data(outcome.bytes))
    }

    private static func outcome(_ program: String, _ arguments: [String], timeout: TimeInterval, in directory: String?,
                                environment: [String: String]?) async -> CommandOutcome {
        await CommandRunner.run(program, arguments, timeout: .milliseconds(Int64(timeout * 1000)), workingDirectory: directory,
                                environment: environment)
    }
}
