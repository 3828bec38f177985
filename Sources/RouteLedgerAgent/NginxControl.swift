import Foundation
import RouteLedgerProcess

/// What the agent does to nginx: test a configuration file, and reload the running server.
public struct NginxControl: Sendable {
    /// The nginx binary (a name on the PATH, or a path).
    public var binary: String
    /// A shell command that reloads nginx instead of `nginx -s reload -c CONF`.
    public var reloadCommand: String?
    /// The longest any of the commands may run.
    public var timeout: TimeInterval
    /// Arguments given to nginx on every run, before the agent's own (`-p PREFIX`, `-g "pid …;"`, `-e LOG`):
    /// how an unprivileged nginx finds its prefix, pid file and error log.
    public var arguments: [String]

    public init(binary: String = "nginx", reloadCommand: String? = nil, timeout: TimeInterval = 30, arguments: [String] = []) {
        self.binary = binary
        self.reloadCommand = reloadCommand
        self.timeout = timeout
        self.arguments = arguments
    }

    /// What `nginx -t` made of a file.
    public enum TestOutcome: Sendable, Equatable {
        /// nginx accepts it.
        case accepted
        /// nginx refuses the configuration itself (its message names the file).
        case refused(String)
        /// nginx could not check it: a problem of this host (no binary, permissions, a pid or log path),
        /// not of the configuration.
        case unavailable(String)
    }

    /// `nginx -t -c FILE`, with the failure sorted into the configuration's fault or the host's.
    public func test(_ file: String) async -> TestOutcome {
        guard let failure = await run(binary, arguments + ["-t", "-c", file]).failure else { return .accepted }
        return Self.namesConfiguration(failure, file: file) ? .refused(failure) : .unavailable(failure)
    }

    /// Whether nginx blames the file: an error message (`[emerg]`, `[alert]`, `[crit]`, `[error]`) that names
    /// it, as in `[emerg] unknown directive "x" in FILE:3`. "FILE syntax is ok" and "FILE test failed" carry
    /// no level and name the file whatever failed; `[emerg] open() "/run/nginx.pid" failed (13: Permission
    /// denied)` is the host's. So are a module this host lacks (`[emerg] dlopen() "…so" failed … in FILE:4`:
    /// libnginx-mod-stream not installed) and a secret it does not have (`cannot load certificate
    /// "/run/secrets/x"`, which names no file): the configuration is right, and the version is tried again
    /// once the host has them.
    static func namesConfiguration(_ output: String, file: String) -> Bool {
        output.split(separator: "\n").contains { line in
            line.contains(file) && ["[emerg]", "[alert]", "[crit]", "[error]"].contains { line.contains($0) }
                && !line.contains("dlopen()")
        }
    }

    /// Reloads nginx onto `file`: nil on success, else what the command said.
    public func reload(_ file: String) async -> String? {
        if let reloadCommand {
            return await run("/bin/sh", ["-c", reloadCommand]).failure
        }
        return await run(binary, arguments + ["-s", "reload", "-c", file]).failure
    }

    /// Runs a command within ``timeout``, in `/`: nginx resolves its paths from its prefix, not from here,
    /// and an agent started in a directory its user may not enter (an unprivileged agent launched from
    /// root's) could not start a child there.
    private func run(_ program: String, _ arguments: [String]) async -> CommandOutcome {
        await CommandRunner.run(program, arguments, timeout: .milliseconds(Int64(timeout * 1000)), workingDirectory: "/")
    }
}
