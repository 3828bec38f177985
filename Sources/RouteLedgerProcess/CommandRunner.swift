import Subprocess
import SystemPackage

/// What a command did: its exit status and what it wrote (stdout and stderr interleaved as written, unless
/// they were asked for separately).
public struct CommandOutcome: Sendable, Hashable {
    /// The exit code; 128 + the signal's number when a signal ended it; 127 when it could not be started.
    public var status: Int32
    /// stdout, with stderr in it unless it was asked for separately.
    public var bytes: [UInt8]
    /// stderr, when asked for separately (else empty).
    public var errorBytes: [UInt8] = []
    /// Whether it ran past its timeout and was stopped.
    public var timedOut: Bool

    /// `bytes` decoded as UTF-8, invalid sequences replaced.
    public var output: String { String(decoding: bytes, as: UTF8.self) }
    /// stderr as text, when asked for separately.
    public var errorOutput: String { String(decoding: errorBytes, as: UTF8.self) }

    /// What a failed run said (its output, else its status); nil for a success.
    public var failure: String? {
        guard status != 0 else { return nil }
        let blank: Set<Character> = [" ", "\n", "\t", "\r"]
        let text = String(output.drop(while: blank.contains).reversed().drop(while: blank.contains).reversed())
        return text.isEmpty ? "exit status \(status)" : text
    }
}

/// Runs a program to completion, bounded in time, with swift-subprocess: the one way RouteLedger and its
/// tests run a program and wait for it (the agent's `nginx -t` and reload, the test support's `openssl`,
/// `psql`, `docker` and `curl`).
///
/// The program gets a session of its own, so a timeout stops what it started too (a `/bin/sh -c` reload
/// command and its children): SIGTERM to the group, then SIGKILL after 2 s.
public enum CommandRunner {
    /// Runs `program` (a path, or a name looked up on the PATH) with `arguments`, `input` on its stdin, in
    /// `workingDirectory` (else the current one), with `environment` (else this process's), for at most
    /// `timeout`; stderr in the output unless `separateErrors`. Never throws: a program that cannot be
    /// started is status 127 with the reason.
    public static func run(_ program: String, _ arguments: [String], input: [UInt8] = [], separateErrors: Bool = false, timeout: Duration,
                           workingDirectory: String? = nil, environment: [String: String]? = nil,
                           outputLimit: Int = 64 << 20) async -> CommandOutcome {
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        let platformOptions = options
        let environment: Environment = environment.map { .custom(Dictionary(uniqueKeysWithValues: $0.map { (Environment.Key(stringLiteral: $0.key), $0.value) })) } ?? .inherit
        let directory = workingDirectory.map { FilePath($0) }
        return await withTaskGroup(of: CommandOutcome?.self) { group in
            group.addTask {
                func status(_ termination: TerminationStatus) -> Int32 {
                    switch termination {
                    case .exited(let code): code
                    case .signaled(let signal): 128 + signal
                    }
                }
                do {
                    if separateErrors {
                        let result = try await Subprocess.run(executable, arguments: Arguments(arguments), environment: environment,
                                                              workingDirectory: directory, platformOptions: platformOptions,
                                                              input: .array(input), output: .bytes(limit: outputLimit),
                                                              error: .bytes(limit: outputLimit))
                        return CommandOutcome(status: status(result.terminationStatus), bytes: result.standardOutput,
                                              errorBytes: result.standardError, timedOut: false)
                    }
                    let result = try await Subprocess.run(executable, arguments: Arguments(arguments), environment: environment,
                                                          workingDirectory: directory, platformOptions: platformOptions,
                                                          input: .array(input), output: .bytes(limit: outputLimit), error: .combinedWithOutput)
                    return CommandOutcome(status: status(result.terminationStatus), bytes: result.standardOutput, timedOut: false)
                } catch {
                    // Cancelled by the timeout: the timer's outcome stands.
                    if Task.isCancelled { return nil }
                    return CommandOutcome(status: 127, bytes: Array("cannot run \(program): \(error)".utf8), timedOut: false)
                }
            }
            group.addTask {
                guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                return CommandOutcome(status: 128 + 9, bytes: Array("\(program) did not finish within \(Self.describe(timeout)) and was stopped".utf8),
                                      timedOut: true)
            }
            // The first outcome; the other task is cancelled (a run cancelled by its timer is stopped, and waited
            // for, before the group returns).
            var first: CommandOutcome?
            while first == nil, let next = await group.next() {
                first = next
                group.cancelAll()
            }
            return first ?? CommandOutcome(status: 128 + 9, bytes: Array("\(program) was cancelled".utf8), timedOut: false)
        }
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
