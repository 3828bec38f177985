import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import RouteLedgerCore

/// The log on a PostgreSQL server (PostgresNIO), for a log that outlives one machine.
///
/// Writers serialize on a transaction-scoped advisory lock (``writerLockKey``), taken first in every write
/// transaction and released by COMMIT or ROLLBACK, or by the server when the client's connection dies. Under
/// it a writer reads the head and numbers the next events itself: a PostgreSQL sequence would leave gaps
/// on rollback, and `seq` is gapless. Readers run in REPEATABLE READ, READ ONLY transactions and never wait.
///
/// The store's API is synchronous (the CLI, and the server's blocking-work threads, call it), so each call
/// runs the driver's futures on NIO's event loops and waits for them on the calling thread.
struct PostgresEngine: StorageEngine {
    /// The advisory lock every writer of every RouteLedger log takes ("RLEDGER" in ASCII). One key per
    /// database: a server's logs live in separate databases.
    static let writerLockKey: Int64 = 0x524C_4544_4745_52

    let url: PostgresURL
    let location: String
    let connections: PostgresConnections
    private let lockTimeout: TimeInterval
    /// Events per lookup and INSERT (one round trip each).
    var appendBlockSize: Int { 1000 }

    init(url: PostgresURL, options: StoreOptions, logger: Logger) throws {
        self.url = url
        location = url.description
        lockTimeout = options.lockTimeout
        connections = try PostgresConnections(url: url, synchronousCommit: options.synchronous == .full, logger: logger)
        do {
            try migrate(create: options.create)
        } catch {
            throw map(error)
        }
    }

    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try connections.with { connection in
            try connection.run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let result = try body(connection)
            try connection.run("COMMIT")
            return result
        }
    }

    func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try connections.with { connection in
            try connection.run("BEGIN")
            try takeWriterLock(connection)
            let result = try body(connection)
            try connection.run("COMMIT")
            return result
        }
    }

    /// Waits for the writer lock up to the lock timeout; names the holder when it expires.
    private func takeWriterLock(_ connection: PostgresStoreConnection) throws {
        let milliseconds = max(1, Int(lockTimeout * 1000))
        try connection.run("SET LOCAL lock_timeout = \(milliseconds)")
        do {
            try connection.run("SELECT pg_advisory_xact_lock(\(Self.writerLockKey))")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            try connection.run("ROLLBACK")
            throw StoreError.writerBusy(path: location, waited: lockTimeout, holder: try writerLockHolder(connection))
        }
        try connection.run("SET LOCAL lock_timeout = 0")
    }

    /// Who holds the writer lock: its backend's pid, application name (which names the RouteLedger process and
    /// host), client address and since when.
    private func writerLockHolder(_ connection: PostgresStoreConnection) throws -> String? {
        let key = Self.writerLockKey
        let rows = try connection.rows("""
            SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local socket'),
                   to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = ? AND l.objid = ? AND l.objsubid = 1
            """, [.integer(key >> 32), .integer(key & 0xFFFF_FFFF)])
        guard let row = rows.first else { return nil }
        let application = try row.optionalText(1) ?? ""
        return "backend pid \(try row.int(0)) (\(application.isEmpty ? "unnamed client" : application)) from \(try row.text(2)) since \(try row.optionalText(3) ?? "?")"
    }

    func integrityProblem() throws -> String? { nil }

    func map(_ error: any Error) -> StoreError {
        if let known = StoreError.fromLog(error) { return known }
        switch error {
        case let error as PSQLError:
            return .database(path: location, message: Self.describe(error, endpoint: url.endpoint))
        case is ConnectionLost:
            return .database(path: location, message: "lost the connection to the server at \(url.endpoint): what this command was writing is stored whole or not at all")
        case let error as NoSuitableServer:
            return .database(path: location, message: error.description)
        default:
            return .database(path: location, message: "\(error)")
        }
    }

    /// One line for a driver error: the server's message when it sent one, else what failed on the way.
    static func describe(_ error: PSQLError, endpoint: String) -> String {
        if let info = error.serverInfo, let message = info[.message] {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        switch error.code {
        case .connectionError:
            return "cannot connect to \(endpoint): \(error.underlying.map(Self.reason) ?? "connection failed")"
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return "lost the connection to the server at \(endpoint)\(error.underlying.map { ": \(Self.reason($0))" } ?? ""): what this command was writing is stored whole or not at all"
        case .sslUnsupported:
            return "the server at \(endpoint) does not offer TLS (sslmode=disable or prefer connects without it)"
        case .authMechanismRequiresPassword:
            return "the server at \(endpoint) asks for a password: put it in the URL or in $PGPASSWORD"
        default:
            return "\(error.code) talking to \(endpoint)\(error.underlying.map { ": \(Self.reason($0))" } ?? "")"
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError { return describe(error, endpoint: "") }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return reason(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve the host name" }
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "timed out" }
        return "\(error)"
    }

    /// Brings the schema up to date (creating it in an empty database); refuses a database that holds other
    /// tables or a newer schema. A database already migrated is only read, so readers never wait for writers.
    private func migrate(create: Bool) throws {
        let pending = try connections.with { connection in try pendingMigrations(connection) }
        if pending.isEmpty { return }
        try connections.with { connection in
            try connection.run("BEGIN")
            // Two processes migrating at once: the second waits, then finds nothing left to do.
            try takeWriterLock(connection)
            let pending = try pendingMigrations(connection)
            if pending.count == Self.migrations.count && !create { throw StoreError.missingDatabase(path: location) }
            for (identifier, statements) in pending {
                for statement in statements { try connection.run(statement) }
                try connection.execute("INSERT INTO routeledger_migrations (identifier) VALUES (?)", .text(identifier))
            }
            try connection.run("COMMIT")
        }
    }

    /// The migrations not applied yet, in order (all of them for an empty database); throws for a database
    /// that is not a RouteLedger log, or was written by a newer one.
    private func pendingMigrations(_ connection: PostgresStoreConnection) throws -> [(String, [String])] {
        let tables = try connection.rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", []).map { try $0.text(0) }
        guard tables.contains("routeledger_migrations") else {
            if tables.isEmpty { return Self.migrations }
            throw StoreError.notRouteLedger(path: location, reason: "it holds other tables (\(tables.sorted().prefix(3).joined(separator: ", ")))")
        }
        let applied = Set(try connection.rows("SELECT identifier FROM routeledger_migrations", []).map { try $0.text(0) })
        let unknown = applied.subtracting(Self.migrations.map(\.0)).sorted()
        if !unknown.isEmpty { throw StoreError.newerSchema(path: location, unknownMigrations: unknown) }
        return Self.migrations.filter { !applied.contains($0.0) }
    }

    /// The schema migrations, by the same names as SQLite's, each as statements run one at a time (the
    /// extended protocol takes one per query): the SQLite schema's tables and columns, in PostgreSQL's types.
    static let migrations: [(String, [String])] = [
        ("v1-createEventLog", [
            "CREATE TABLE IF NOT EXISTS routeledger_migrations (identifier TEXT PRIMARY KEY)",
            """
            CREATE TABLE events (
                seq BIGINT PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                time BIGINT NOT NULL,
                log_time BIGINT NOT NULL,
                recorded_at BIGINT NOT NULL,
                data TEXT NOT NULL,
                meta TEXT,
                hash BYTEA NOT NULL
            )
            """,
            """
            CREATE FUNCTION routeledger_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
            END
            $$
            """,
            "CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION routeledger_events_immutable()",
            "CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION routeledger_events_immutable()",
            "CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION routeledger_events_immutable()",
        ]),
        ("v2-reloadProjection", [
            """
            CREATE TABLE reloads (
                id BIGINT PRIMARY KEY,
                cluster TEXT NOT NULL,
                seq BIGINT NOT NULL,
                log_time BIGINT NOT NULL,
                previous_version TEXT,
                version TEXT NOT NULL,
                causes TEXT NOT NULL,
                diff TEXT NOT NULL
            )
            """,
            "CREATE INDEX reloads_log_time ON reloads (log_time)",
            "CREATE TABLE projection_state (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO projection_state (key, value) VALUES ('checkpoint', 0), ('settle', 0), ('maxWait', 0)",
        ]),
        ("v3-snapshots", [
            "CREATE TABLE snapshots (seq BIGINT PRIMARY KEY, format INTEGER NOT NULL, state BYTEA NOT NULL)",
            "INSERT INTO projection_state (key, value) VALUES ('snapshotEvery', 10000)",
        ]),
        ("v4-proxyReportIndex", [
            "CREATE INDEX events_proxy_reports ON events (type) WHERE type IN ('proxy.applied', 'proxy.rejected')",
        ]),
        ("v5-configIndex", [
            "CREATE INDEX events_config ON events (seq) WHERE type = 'config.changed'",
        ]),
        ("v6-proxyFailedIndex", [
            "DROP INDEX events_proxy_reports",
            "CREATE INDEX events_proxy_reports ON events (type) WHERE type IN ('proxy.applied', 'proxy.rejected', 'proxy.failed')",
        ]),
        // PostgreSQL only: every append, by any process on any host, wakes the servers that listen (at
        // commit; one notification per transaction, since PostgreSQL folds equal ones).
        ("v7-notifyAppended", [
            """
            CREATE FUNCTION routeledger_notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(appendChannel)', '');
                RETURN NULL;
            END
            $$
            """,
            "CREATE TRIGGER events_notify_appended AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION routeledger_notify_appended()",
        ]),
        // A reload's proxy reports end where its version is reloaded again: found by version, not by a scan.
        // And a range of positions (a timeline's) reads its reloads only.
        ("v8-reloadsVersionIndex", ["CREATE INDEX reloads_version ON reloads (version)", "CREATE INDEX reloads_seq ON reloads (seq)"]),
        // Its entries went in hash order, so each append's reloads rewrote as many of its pages; a reload's proxy
        // reports now find the next reload to their version among the reloads up to them, by position.
        ("v9-dropReloadsVersionIndex", ["DROP INDEX reloads_version"]),
    ]
}

/// Open connections to one database, reused across calls; a connection that met an error is closed, not
/// reused, so the next call after a server restart connects anew.
/// None of a URL's hosts gave a connection with the session attributes asked for: each one's reason.
struct NoSuitableServer: Error, CustomStringConvertible {
    let attributes: PostgresURL.SessionAttributes
    let reasons: [String]

    var description: String {
        "no server is \(attributes == .any ? "reachable" : attributes.rawValue) (\(reasons.joined(separator: "; ")))"
    }
}

final class PostgresConnections: @unchecked Sendable {
    private let url: PostgresURL
    /// One configuration per host, in the URL's order.
    private let configurations: [(endpoint: String, configuration: PostgresConnection.Configuration)]
    private let synchronousCommit: Bool
    private let logger: Logger
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextID = 0
    private static let maxIdle = 4

    init(url: PostgresURL, synchronousCommit: Bool, logger: Logger) throws {
        self.url = url
        self.synchronousCommit = synchronousCommit
        self.logger = logger
        if let directory = url.socketDirectory {
            var configuration = PostgresConnection.Configuration(unixSocketPath: "\(directory)/.s.PGSQL.\(url.port)", username: url.user,
                                                                 password: url.password, database: url.database)
            configuration.options.connectTimeout = .seconds(10)
            configurations = [(url.endpoint, configuration)]
        } else {
            let tls = try Self.tls(url.sslMode)
            configurations = url.endpoints.map { endpoint in
                var configuration = PostgresConnection.Configuration(host: endpoint.host, port: endpoint.port, username: url.user,
                                                                     password: url.password, database: url.database, tls: tls)
                configuration.options.connectTimeout = .seconds(10)
                return ("\(endpoint.host):\(endpoint.port)", configuration)
            }
        }
    }

    /// A connection to the first host, in the URL's order, that accepts one and has the session attributes
    /// asked for (libpq's `target_session_attrs`). One host and `any`: its error as it is.
    private func open(id: Int) -> EventLoopFuture<PostgresConnection> {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let attributes = url.sessionAttributes
        let configurations = configurations
        let logger = logger
        if configurations.count == 1 && attributes == .any {
            return PostgresConnection.connect(on: loop, configuration: configurations[0].configuration, id: id, logger: logger)
        }
        @Sendable func attempt(_ index: Int, _ reasons: [String]) -> EventLoopFuture<PostgresConnection> {
            guard index < configurations.count else { return loop.makeFailedFuture(NoSuitableServer(attributes: attributes, reasons: reasons)) }
            let endpoint = configurations[index].endpoint
            return PostgresConnection.connect(on: loop, configuration: configurations[index].configuration, id: id, logger: logger)
                .flatMap { connection in
                    Self.mismatch(connection, attributes, logger).flatMap { mismatch in
                        guard let mismatch else { return loop.makeSucceededFuture(connection) }
                        Self.close(connection)
                        return attempt(index + 1, reasons + ["\(endpoint) \(mismatch)"])
                    }
                }
                .flatMapError { error in
                    if error is NoSuitableServer { return loop.makeFailedFuture(error) }
                    let reason = (error as? PSQLError).map { PostgresEngine.describe($0, endpoint: endpoint) } ?? "\(error)"
                    return attempt(index + 1, reasons + [reason])
                }
        }
        return attempt(0, [])
    }

    /// Why `connection`'s server is not what `attributes` asks for; nil when it is.
    private static func mismatch(_ connection: PostgresConnection, _ attributes: PostgresURL.SessionAttributes,
                                 _ logger: Logger) -> EventLoopFuture<String?> {
        guard attributes != .any else { return connection.eventLoop.makeSucceededFuture(nil) }
        return connection.query("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')", logger: logger).flatMapThrowing { result in
            guard let row = result.rows.first else { return "did not say whether it is a standby" }
            let (recovery, readOnly) = try row.decode((Bool, String).self)
            switch attributes {
            case .any: return nil
            case .readWrite: return readOnly == "on" || recovery ? "is read-only" : nil
            case .readOnly: return readOnly == "on" || recovery ? nil : "accepts writes"
            case .primary: return recovery ? "is a standby" : nil
            case .standby: return recovery ? nil : "is the primary"
            }
        }
    }

    deinit {
        for connection in idle { Self.close(connection) }
    }

    /// Closes `connection` without waiting; the closure keeps it alive until it is closed (the driver
    /// requires a connection be closed before it goes away).
    private static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    private static func tls(_ mode: PostgresURL.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        let context = try NIOSSLContext(configuration: tls)
        return mode == .prefer ? .prefer(context) : .require(context)
    }

    /// Runs `body` on an open connection; rolls back and drops the connection when it throws.
    func with<T>(_ body: (PostgresStoreConnection) throws -> T) throws -> T {
        let connection = try take()
        let store = PostgresStoreConnection(connection, logger: logger)
        do {
            let result = try body(store)
            give(connection)
            return result
        } catch {
            // Whatever state the failed transaction left, a new connection starts clean.
            try? connection.close().wait()
            throw error
        }
    }

    /// A connection of its own, outside the pool, named for its `role` in `pg_stat_activity`
    /// (`routeledger pid N on HOST listener`); give it back to ``release(_:)``.
    func connect(role: String) async throws -> PostgresConnection {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        let connection = try await open(id: id).get()
        let name = String("routeledger pid \(getpid()) on \(ProcessInfo.processInfo.hostName)".prefix(63 - role.count - 1)) + " " + role
        do {
            _ = try await connection.query("SELECT set_config('application_name', \(name), false)", logger: logger)
        } catch {
            release(connection)
            throw error
        }
        return connection
    }

    /// Closes a connection from ``connect(role:)``.
    func release(_ connection: PostgresConnection) { Self.close(connection) }

    private func take() throws -> PostgresConnection {
        lock.lock()
        if let connection = idle.popLast(), !connection.isClosed {
            lock.unlock()
            return connection
        }
        nextID += 1
        let id = nextID
        lock.unlock()
        let connection = try open(id: id).wait()
        let store = PostgresStoreConnection(connection, logger: logger)
        let host = ProcessInfo.processInfo.hostName
        let name = "routeledger pid \(getpid()) on \(host)".prefix(63)
        try store.execute("SELECT set_config('application_name', ?, false)", .text(String(name)))
        try store.run("SET standard_conforming_strings = on")
        try store.run("SET synchronous_commit = \(synchronousCommit ? "on" : "off")")
        return connection
    }

    private func give(_ connection: PostgresConnection) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < Self.maxIdle && !connection.isClosed {
            idle.append(connection)
        } else {
            Self.close(connection)
        }
    }
}

/// One PostgreSQL connection inside a transaction: the shared SQL with `?` turned into `$1, $2, …`.
final class PostgresStoreConnection: StoreConnection {
    private let connection: PostgresConnection
    private let logger: Logger
    private var cursors = 0
    /// Inserts sent and not yet answered (``sendAside(_:)``).
    private var inFlight: [EventLoopFuture<PostgresQueryResult>] = []
    /// Rows a scan fetches per round trip.
    static let fetchSize = 2000

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs one SQL statement without parameters.
    func run(_ sql: String) throws {
        _ = try send(PostgresQuery(unsafeSQL: sql))
    }

    /// Sends a query and waits for its rows, after the inserts still in flight (their errors first).
    private func send(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try drain()
        return try wait(start(query))
    }

    /// Sends a query without waiting for it. Inserts go this way, so that the server stores one block while
    /// this process decodes, numbers and chains the next: the connection runs its queries in order, and the
    /// next ``send(_:)``, COMMIT among them, waits for them and fails with the first error.
    private func sendAside(_ query: PostgresQuery) throws {
        inFlight.append(start(query))
        if inFlight.count > 4 { try wait(inFlight.removeFirst()) }
    }

    private func drain() throws {
        while !inFlight.isEmpty { try wait(inFlight.removeFirst()) }
    }

    /// The query's answer, or its failure; also a failure when the connection closes first (with the server
    /// killed mid-query the driver closes the channel but has been seen to leave the query's future pending).
    private func start(_ query: PostgresQuery) -> EventLoopFuture<PostgresQueryResult> {
        let future = connection.query(query, logger: logger)
        let promise = future.eventLoop.makePromise(of: PostgresQueryResult.self)
        future.cascade(to: promise)
        connection.closeFuture.whenComplete { _ in promise.fail(ConnectionLost()) }  // ignored once the query has completed
        return promise.futureResult
    }

    @discardableResult
    private func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        try future.wait()
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        _ = try query(sql, arguments)
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [any StoreRow] {
        try query(sql, arguments).map { PostgresStoreRow(row: $0.makeRandomAccess()) }
    }

    /// A server-side cursor, fetched a page at a time: memory stays bounded on a log of millions of events.
    /// DECLARE takes no parameters, so the arguments go in as literals.
    func stream(_ sql: String, _ arguments: [SQLValue], _ body: (any StoreRow) throws -> Bool) throws {
        cursors += 1
        let name = "routeledger_scan_\(cursors)"
        var parts = sql.split(separator: "?", omittingEmptySubsequences: false)
        precondition(parts.count == arguments.count + 1, "placeholders and arguments differ in number")
        var text = String(parts.removeFirst())
        for (argument, part) in zip(arguments, parts) { text += Self.literal(argument) + part }
        try run("DECLARE \(name) NO SCROLL CURSOR FOR \(text)")
        while true {
            let page = try send(PostgresQuery(unsafeSQL: "FETCH FORWARD \(Self.fetchSize) FROM \(name)"))
            var count = 0
            for row in page {
                count += 1
                guard try body(PostgresStoreRow(row: row.makeRandomAccess())) else {
                    try run("CLOSE \(name)")
                    return
                }
            }
            if count < Self.fetchSize { break }
        }
        try run("CLOSE \(name)")
    }

    func storedEvents(ids: [String]) throws -> [String: (seq: Seq, type: String, data: String)] {
        guard !ids.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(ids)
        let result = try send(PostgresQuery(unsafeSQL: "SELECT id, seq, type, data FROM events WHERE id = ANY($1)", binds: binds))
        var found: [String: (seq: Seq, type: String, data: String)] = [:]
        for row in result {
            let (id, seq, type, data) = try row.decode((String, Int64, String, String).self)
            found[id] = (seq, type, data)
        }
        return found
    }

    /// One statement per block whatever its size: each column is one array parameter, unnested by the
    /// server (a VALUES list of 9,000 parameters cost more to parse and plan than to insert). NULL travels
    /// as '' (no meta or previous version is ever empty: they are JSON objects and hex digests).
    func insert(events: [EventRow]) throws {
        guard !events.isEmpty else { return }
        var binds = PostgresBindings(capacity: 9)
        binds.append(events.map(\.seq))
        binds.append(events.map(\.id))
        binds.append(events.map(\.type))
        binds.append(events.map(\.time))
        binds.append(events.map(\.logTime))
        binds.append(events.map(\.recordedAt))
        binds.append(events.map { String(decoding: $0.data, as: UTF8.self) })
        binds.append(events.map { $0.meta.map { String(decoding: $0, as: UTF8.self) } ?? "" })
        binds.append(events.map(\.hash.hexString))
        try sendAside(PostgresQuery(unsafeSQL: """
            INSERT INTO events (seq, id, type, time, log_time, recorded_at, data, meta, hash)
            SELECT seq, id, type, time, log_time, recorded_at, data, NULLIF(meta, ''), decode(hash, 'hex')
            FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::text[], $8::text[], $9::text[])
                AS input(seq, id, type, time, log_time, recorded_at, data, meta, hash)
            """, binds: binds))
    }

    func insert(reloads: [ReloadRow]) throws {
        guard !reloads.isEmpty else { return }
        var binds = PostgresBindings(capacity: 8)
        binds.append(reloads.map { Int64($0.id) })
        binds.append(reloads.map(\.cluster))
        binds.append(reloads.map(\.seq))
        binds.append(reloads.map(\.logTime))
        binds.append(reloads.map { $0.previousVersion ?? "" })
        binds.append(reloads.map(\.version))
        binds.append(reloads.map(\.causes))
        binds.append(reloads.map(\.diff))
        try sendAside(PostgresQuery(unsafeSQL: """
            INSERT INTO reloads (id, cluster, seq, log_time, previous_version, version, causes, diff)
            SELECT id, cluster, seq, log_time, NULLIF(previous_version, ''), version, causes, diff
            FROM unnest($1::int8[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[])
                AS input(id, cluster, seq, log_time, previous_version, version, causes, diff)
            """, binds: binds))
    }

    private func query(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        var text = ""
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                text += "$\(index)"
            } else {
                text.append(character)
            }
        }
        precondition(index == arguments.count, "placeholders and arguments differ in number")
        for argument in arguments {
            switch argument {
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            case .null: binds.appendNull()
            }
        }
        return try send(PostgresQuery(unsafeSQL: text, binds: binds))
    }

    /// A value as an SQL literal (standard_conforming_strings is on for every connection: only quotes escape).
    private static func literal(_ value: SQLValue) -> String {
        switch value {
        case .integer(let value): return String(value)
        case .text(let value): return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let value): return "'\\x" + value.hexString + "'::bytea"
        case .null: return "NULL"
        }
    }
}

/// The connection closed while a query waited for its answer.
struct ConnectionLost: Error {}

struct PostgresStoreRow: StoreRow {
    let row: PostgresRandomAccessRow

    func int(_ column: Int) throws -> Int64 { try row[column].decode(Int64.self) }
    func optionalInt(_ column: Int) throws -> Int64? { try row[column].decode(Int64?.self) }
    func text(_ column: Int) throws -> String { try row[column].decode(String.self) }
    func optionalText(_ column: Int) throws -> String? { try row[column].decode(String?.self) }
    func bytes(_ column: Int) throws -> [UInt8] { Array(buffer: try row[column].decode(ByteBuffer.self)) }
}
