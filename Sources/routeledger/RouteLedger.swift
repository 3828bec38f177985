import ArgumentParser
import Foundation
import Logging
import RouteLedgerCore
import RouteLedgerDocker
import RouteLedgerStore

/// `routeledger`: the one place that wires the pieces together and opens the database.
@main
struct RouteLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routeledger",
        abstract: "An event-sourced routing state store for Docker Interlock-style label routing.",
        discussion: """
            Cluster events go into an append-only log; RouteLedger folds them into the routing an \
            Interlock proxy would serve (task and vip backend modes), at any point in the log.

            Start with `routeledger demo`. The log is --db, else $ROUTELEDGER_DB, else ./routeledger.db: \
            a SQLite file path, or a PostgreSQL database as \
            postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE] \
            (or postgres://USER@/DATABASE?host=/socket/dir; the password may come from $PGPASSWORD). \
            Every command works the same on both.

            Exit status: 0 success, 1 a user error (a one-line message on stderr), 2 a usage error.
            """,
        subcommands: [Init.self, Append.self, Events.self, Routes.self, Reloads.self, Why.self, Explain.self,
                      Diff.self, Timeline.self, Replay.self, Report.self, Render.self, Rebuild.self, Config.self, Verify.self, Demo.self,
                      Serve.self, Agent.self, Ingest.self, Copy.self])

    /// What `--version` prints: the release, and the formats a log written by it carries.
    static let version = "routeledger 0.12.0 (event format v1, routing rules v\(RoutingRules.version))"

    /// Runs a command; maps user errors to exit 1 with one line on stderr and usage errors to exit 2.
    static func main() async {
        let arguments = GlobalOptions.afterSubcommand(Array(CommandLine.arguments.dropFirst()))
        if arguments.first == "--version" {
            print(version)
            Foundation.exit(0)
        }
        if let first = arguments.first, !first.hasPrefix("-") {
            let commands = configuration.subcommands.map { $0._commandName } + ["help"]
            if !commands.contains(first) {
                let near = Suggestion.closest(to: first, in: commands).map { "; did you mean \($0)?" } ?? ""
                FileHandle.standardError.write(Data("routeledger: unknown command \"\(first)\"\(near) (routeledger --help lists them)\n".utf8))
                Foundation.exit(2)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UserError {
            Terminal.error("\(error)")
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if error is ExitCode { Foundation.exit(code.rawValue) }
            if code == .validationFailure {
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            Terminal.error(message.isEmpty ? "\(error)" : message)
            Foundation.exit(1)
        }
    }
}

/// Errors that are the user's to fix: one line on stderr, exit 1.
protocol UserError: Error, CustomStringConvertible {}
extension StoreError: UserError {}
extension PointError: UserError {}
extension InputError: UserError {}
extension DockerError: UserError {}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    /// The options every command takes, which may also come before the subcommand (`routeledger --db x
    /// routes`, as docker and git take theirs).
    static let names: Set<String> = ["--db", "--log-level", "--lock-timeout"]

    /// `arguments` with the global options given before the subcommand moved after it (before a `--`, so
    /// they stay options).
    static func afterSubcommand(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count, let name = arguments[index].split(separator: "=", maxSplits: 1).first.map(String.init),
              names.contains(name) {
            let width = arguments[index].contains("=") ? 1 : 2
            moved += arguments[index..<min(index + width, arguments.count)]
            index += width
        }
        guard !moved.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        rest.insert(contentsOf: moved, at: rest.firstIndex(of: "--") ?? rest.count)
        return rest
    }

    @Option(name: .long, help: ArgumentHelp(
        "The log: a SQLite file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.",
        discussion: "Default: $ROUTELEDGER_DB, else ./routeledger.db. PostgreSQL URLs also take ?host=/socket/dir and ?sslmode=disable|prefer|require|verify-ca|verify-full (default prefer); without a password in the URL, $PGPASSWORD is used. Passwords never appear in messages.",
        valueName: "path|url"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Log level on stderr.", valueName: "level"))
    var logLevel: Logger.Level = .warning

    @Option(name: .long, help: ArgumentHelp(
        "How long a write waits for the database's other writers, e.g. 30s, 5m.",
        discussion: "Writers (append, ingest, serve, rebuild, config) take turns, on any host: through DATABASE.lock beside a SQLite file, through an advisory lock on PostgreSQL. One that waits longer gives up, naming the holder, and writes nothing.",
        valueName: "duration"))
    var lockTimeout: String = "5m"

    func validate() throws {
        guard let nanoseconds = DurationText.nanoseconds(lockTimeout), nanoseconds > 0 else {
            throw ValidationError("--lock-timeout \"\(lockTimeout)\" is not a duration above 0 (e.g. 30s, 5m)")
        }
    }

    /// `--db`, else `$ROUTELEDGER_DB` when not empty, else `routeledger.db` in the current directory.
    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["ROUTELEDGER_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "routeledger.db"
    }

    /// Bootstraps logging and opens the log (``databasePath`` unless `location` is given). Read commands pass
    /// `create: false`.
    func openLog(_ location: String? = nil, create: Bool, synchronous: Synchronous = .full) throws -> EventLog {
        LogSetup.bootstrapOnce(level: logLevel)
        var logger = Logger(label: "routeledger")
        logger.logLevel = logLevel
        let waits = Double(DurationText.nanoseconds(lockTimeout) ?? 300_000_000_000) / 1e9
        let log = try EventLog(path: location ?? databasePath, options: StoreOptions(synchronous: synchronous, create: create, lockTimeout: waits),
                               logger: logger)
        if let upgrade = log.projectionUpgrade { Terminal.note("\(log.path): \(upgrade)") }
        return log
    }
}

/// Where a read command looks: `--seq N` or `--at TIME` (default: the end of the log).
struct PointOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Query as of this position in the log.", valueName: "N"))
    var seq: Int64?

    @Option(name: .long, help: ArgumentHelp("Query as of this time (RFC 3339, or a duration ago such as 15m; resolved through log time), e.g. 2026-11-27T10:00:03Z.", valueName: "time"))
    var at: String?

    func validate() throws {
        if seq != nil && at != nil { throw ValidationError("give --seq or --at, not both") }
        if let at, TimeArgument.parse(at) == nil { throw ValidationError(TimeArgument.problem("--at", at)) }
    }

    func resolve(in log: EventLog) throws -> LogPoint {
        try log.point(seq: seq, at: at.flatMap { TimeArgument.parse($0) })
    }

    /// When the asked point is before the first event of a log that has events: the first event's log
    /// time (nil otherwise: the point is in the log, or the log is empty).
    func precedesLog(_ point: LogPoint, in log: EventLog) throws -> Timestamp? {
        guard point.seq == 0, seq != nil || at != nil, try log.lastSeq() > 0 else { return nil }
        return try log.logTime(of: 1)
    }

    /// `seq 12 (2026-11-27T10:00:03Z)`, `seq 0 (empty log)`, or `seq 0: before the first event (…)`.
    func describe(_ point: LogPoint, in log: EventLog) throws -> String {
        if let first = try precedesLog(point, in: log) {
            return "seq 0: before the first event (\(first.rfc3339)); nothing is routed yet"
        }
        return point.seq == 0 ? "seq 0 (empty log)" : "seq \(point.seq) (\(point.logTime?.rfc3339 ?? "-"))"
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension Synchronous: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    public static var allValueStrings: [String] { allCases.map { $0.rawValue.lowercased() } }
}

/// Logging to stderr, set up once per process.
enum LogSetup {
    nonisolated(unsafe) private static var bootstrapped = false

    static func bootstrapOnce(level: Logger.Level) {
        guard !bootstrapped else { return }
        bootstrapped = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
