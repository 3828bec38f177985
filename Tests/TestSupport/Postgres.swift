import Foundation

/// A throwaway PostgreSQL cluster: `initdb` into a temporary directory, `postgres` on a free loopback port and
/// a unix socket in that directory, trust authentication for the superuser `routeledger`, stopped by process
/// id (and by ``Reaper`` if the test process dies first).
///
/// PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user that Debian's
/// package creates, and its programs run under `setpriv` (which execs, so the process id is the server's).
///
/// Tests that need it use ``shouldRun``: without PostgreSQL's programs they are skipped on a workstation, and
/// say so; with `CI=true` they run, and fail when the server cannot start.
public final class PostgresServer: @unchecked Sendable {
    /// The superuser the tests connect as.
    public static let superuser = "routeledger"

    /// The directory holding the data directory, the socket and the log.
    public let directory: String
    /// The TCP port on 127.0.0.1.
    public let port: Int
    private let bin: String
    private var process: BackgroundProcess?
    private let lock = NSLock()
    private var databases = 0

    /// The directory of PostgreSQL's programs (`$PG_BIN`, else Debian's newest `/usr/lib/postgresql/N/bin`,
    /// else the PATH), or nil when there are none.
    public static let binaries: String? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["PG_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? []).compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debian)/\($0)/bin" }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/postgres") && FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    /// Run the PostgreSQL tests: PostgreSQL is installed, or this is CI (where its absence must fail them).
    public static var shouldRun: Bool {
        if binaries != nil || Nginx.isCI { return true }
        announceSkip
        return false
    }

    private static let announceSkip: Void = {
        FileHandle.standardError.write(Data("""
            ⚠︎ PostgreSQL tests SKIPPED: no PostgreSQL server programs found (install Debian's postgresql, or set PG_BIN).
              With CI=true they run and fail instead.

            """.utf8))
    }()

    /// The server the whole test process shares, started on first use (a failed start fails every caller).
    public static func shared() async throws -> PostgresServer {
        try await sharedServer.value
    }

    private static let sharedServer = Task { try await PostgresServer() }

    /// Creates a cluster and starts it.
    public convenience init() async throws {
        guard let bin = Self.binaries else { throw Missing() }
        try await self.init(bin: bin, name: "routeledger-pg") { server in
            ["\(bin)/initdb", "-D", "\(server.directory)/data", "-U", Self.superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        }
    }

    /// A cluster in a new directory (the `postgres` user's, as root), whose data directory `make` (a command
    /// run as that user) creates; then started.
    private init(bin: String, name: String, make: (PostgresServer) -> [String]) async throws {
        self.bin = bin
        let temporary = try TemporaryDirectory(name)
        directory = temporary.url.path
        port = try freeLoopbackPort()
        if getuid() == 0 {
            let chown = try await Command.run("/bin/chown", ["postgres:postgres", directory])
            guard chown.status == 0 else { throw Failure(what: "chown postgres \(directory)", output: chown.output) }
        }
        let command = make(self)
        let made = try await Command.run(launcher, owner + command, timeout: Patience.seconds)
        guard made.status == 0 else { throw Failure(what: (command[0] as NSString).lastPathComponent, output: made.output) }
        try await start()
    }

    /// A streaming standby of this server: `pg_basebackup -R` of it into a directory of its own (so it
    /// follows this server's WAL), started on a port of its own. It is read-only until ``promote()``.
    public func standby() async throws -> PostgresServer {
        try await PostgresServer(bin: bin, name: "routeledger-pg-standby") { [port] standby in
            ["\(bin)/pg_basebackup", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser, "-D", "\(standby.directory)/data", "-R",
             "-X", "stream", "--checkpoint=fast", "--no-sync"]
        }
    }

    /// Makes a standby the primary (`pg_promote()`, which waits until it accepts writes).
    public func promote() async throws {
        let promoted = try await psql("postgres", "SELECT pg_promote(true, \(Int(Patience.seconds)))")
        guard promoted.contains("t") else { throw Failure(what: "pg_promote", output: promoted) }
    }

    /// Starts the server (again, after ``kill(signal:)``), and waits until it accepts connections. It allows
    /// 600 connections: the whole suite runs in parallel on one server, and every open log keeps a few.
    public func start() async throws {
        let server = try BackgroundProcess(launcher, owner + [
            "\(bin)/postgres", "-D", "\(directory)/data", "-p", "\(port)", "-k", directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=600",
        ], logPath: "\(directory)/server-\(UUID().uuidString.prefix(8)).log")
        try Reaper.watch(server.pid, removing: directory)
        lock.withLock { process = server }
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while Date() < deadline {
            guard server.isRunning else { throw Failure(what: "postgres exited", output: server.output) }
            if (try? await psql("postgres", "SELECT 1"))?.contains("1") == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        server.stop()
        throw Failure(what: "postgres did not accept connections within \(Int(Patience.seconds)) s", output: server.output)
    }

    /// Starts the server after a crash: until the old server's backends have noticed and left, the new one
    /// refuses to start (its shared memory is still in use), so it is tried again within the patience.
    public func restart() async throws {
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while true {
            do {
                return try await start()
            } catch let error as Failure where Date() < deadline && error.what == "postgres exited" {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Sends `signal` to the server process (SIGKILL: a crash; the next ``start()`` recovers).
    public func kill(signal: Int32 = SIGKILL) {
        let server = lock.withLock { process }
        server?.stop(signal: signal, grace: Patience.seconds)
    }

    /// Stops the server.
    public func stop() { kill(signal: SIGTERM) }

    /// A new, empty database; returns its URL (TCP on 127.0.0.1).
    public func createDatabase() async throws -> String {
        let name = lock.withLock { () -> String in
            databases += 1
            return "t\(databases)_\(UUID().uuidString.prefix(8).lowercased())"
        }
        _ = try await psql("postgres", "CREATE DATABASE \(name)")
        return url(name)
    }

    /// The URL of `database` over TCP.
    public func url(_ database: String) -> String { "postgres://\(Self.superuser)@127.0.0.1:\(port)/\(database)" }

    /// The URL of `database` over the unix socket.
    public func socketURL(_ database: String) -> String { "postgres://\(Self.superuser)@/\(database)?host=\(directory)&port=\(port)" }

    /// The database name at the end of a URL from ``createDatabase()``.
    public static func database(of url: String) -> String {
        String(url.split(separator: "/").last!.split(separator: "?").first!)
    }

    /// Runs SQL with psql (as the superuser unless `user` is given); returns its output (unaligned, tuples
    /// only), or throws with it.
    @discardableResult
    public func psql(_ database: String, _ sql: String, user: String = PostgresServer.superuser) async throws -> String {
        let result = try await Command.run("\(bin)/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                                                    "-U", user, "-d", database, "-c", sql], timeout: Patience.seconds)
        guard result.status == 0 else { throw Failure(what: "psql: \(sql)", output: result.output) }
        return result.output
    }

    /// A psql session holding the transaction-scoped advisory lock `key` on `database`, as another writer
    /// would, until ``AdvisoryLockHolder/release()``.
    public func holdAdvisoryLock(_ key: Int64, database: String) async throws -> AdvisoryLockHolder {
        let process = try BackgroundProcess("\(bin)/psql", ["-X", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser, "-d", database,
                                                           "-c", "SELECT pg_advisory_xact_lock(\(key)), pg_sleep(\(Int(Patience.seconds)))"],
                                            logPath: "\(directory)/psql-\(UUID().uuidString.prefix(8)).log")
        let holder = AdvisoryLockHolder(server: self, database: database, process: process)
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while Date() < deadline {
            // This database's lock only: other tests' writers hold theirs in other databases of the cluster.
            let granted = try await psql(database, """
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((classid::bigint << 32) | objid::bigint) = \(key)
                """)
            if granted.trimmingCharacters(in: .whitespacesAndNewlines) != "0" { return holder }
            try await Task.sleep(for: .milliseconds(20))
        }
        await holder.release()
        throw Failure(what: "psql did not take the advisory lock", output: process.output)
    }

    /// Running as root, PostgreSQL's programs run as `postgres`.
    private var launcher: String { getuid() == 0 ? "/usr/bin/setpriv" : "/usr/bin/env" }
    private var owner: [String] {
        getuid() == 0 ? ["--reuid=postgres", "--regid=postgres", "--clear-groups", "--reset-env", "--"] : []
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "PostgreSQL is not installed (CI=true requires it; .ci/run installs it, or set PG_BIN)" }
    }

    struct Failure: Error, CustomStringConvertible {
        var what: String
        var output: String
        var description: String { "\(what) failed: \(output.suffix(2000))" }
    }
}

/// A psql session holding an advisory lock (``PostgresServer/holdAdvisoryLock(_:database:)``).
public struct AdvisoryLockHolder: Sendable {
    let server: PostgresServer
    let database: String
    let process: BackgroundProcess

    /// Ends the session's backend (its transaction rolls back, releasing the lock) and stops psql.
    public func release() async {
        _ = try? await server.psql(database, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'psql' AND datname = '\(database)' AND pid <> pg_backend_pid()")
        process.stop()
    }
}
