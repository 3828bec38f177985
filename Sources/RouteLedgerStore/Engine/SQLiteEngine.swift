import Foundation
import GRDB
import GRDBSQLite
import Logging
import RouteLedgerCore

/// The embedded engine: one SQLite file in WAL mode. Readers read a snapshot of the WAL and never wait;
/// writers queue on ``WriterLock`` and then write in one `BEGIN IMMEDIATE` transaction.
struct SQLiteEngine: StorageEngine {
    let path: String
    private let pool: DatabasePool
    private let writerLock: WriterLock

    var location: String { path }
    /// Lookups of a block's ids cost one query; inserts go one by one through a prepared statement.
    var appendBlockSize: Int { 256 }

    /// Opens (and, with `options.create`, creates) the database at `path`, migrating it to the current schema.
    init(path: String, options: StoreOptions) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !options.create { throw StoreError.missingDatabase(path: path) }
        var config = Configuration()
        config.label = "routeledger"
        config.busyMode = .timeout(options.busyTimeout)
        let synchronous = options.synchronous.rawValue
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            writerLock = try WriterLock(database: path, timeout: options.lockTimeout)
            let migrator = Self.migrator
            let current = try pool.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
                    throw StoreError.newerSchema(path: path, unknownMigrations: unknown)
                }
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if !tables.isEmpty && !tables.contains("grdb_migrations") {
                    throw StoreError.notRouteLedger(path: path, reason: "it holds other tables (\(tables.prefix(3).joined(separator: ", ")))")
                }
                return try migrator.hasCompletedMigrations(db)
            }
            // A log already migrated is not written here, so readers never wait for the writers.
            if !current { try writerLock.withLock { try migrator.migrate(pool) } }
        } catch {
            throw Self.map(error, path: path)
        }
    }

    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteConnection(db)) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction once this writer's turn has come (``WriterLock``).
    func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try writerLock.withLock {
            try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(SQLiteConnection(db))
                    return .commit
                }
                return result!
            }
        }
    }

    func integrityProblem() throws -> String? {
        let result = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        return result == ["ok"] ? nil : result.prefix(3).joined(separator: "; ")
    }

    func map(_ error: any Error) -> StoreError { Self.map(error, path: path) }

    /// Maps any error met at the SQLite boundary to a ``StoreError``.
    static func map(_ error: any Error, path: String) -> StoreError {
        if let known = StoreError.fromLog(error) { return known }
        switch error {
        case let error as DatabaseError:
            switch error.resultCode.primaryResultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(path: path)
            case .SQLITE_NOTADB: return .notRouteLedger(path: path, reason: "it is not a SQLite database")
            case .SQLITE_CANTOPEN: return .database(path: path, message: "cannot open the database file (check the directory exists and is writable)")
            case .SQLITE_READONLY: return .database(path: path, message: "the database is read-only")
            case .SQLITE_FULL: return .database(path: path, message: "the disk is full")
            case .SQLITE_CORRUPT: return .database(path: path, message: "the database file is damaged")
            default: return .database(path: path, message: error.message ?? "\(error.resultCode)")
            }
        default:
            return .database(path: path, message: "\(error)")
        }
    }

    /// The schema migrations, in order. Named, and never erase data.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-createEventLog") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    time INTEGER NOT NULL,
                    log_time INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    data TEXT NOT NULL,
                    meta TEXT,
                    hash BLOB NOT NULL
                );
                CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE refused'); END;
                CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are immutable: DELETE refused'); END;
                """)
        }
        migrator.registerMigration("v2-reloadProjection") { db in
            // Projections: derived from the events, rebuilt by `rebuild`; never the source of truth.
            try db.execute(sql: """
                CREATE TABLE reloads (
                    id INTEGER PRIMARY KEY,
                    cluster TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    log_time INTEGER NOT NULL,
                    previous_version TEXT,
                    version TEXT NOT NULL,
                    causes TEXT NOT NULL,
                    diff TEXT NOT NULL
                );
                CREATE INDEX reloads_log_time ON reloads (log_time);
                CREATE TABLE projection_state (
                    key TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                );
                INSERT INTO projection_state (key, value) VALUES ('checkpoint', 0), ('settle', 0), ('maxWait', 0);
                """)
        }
        migrator.registerMigration("v3-snapshots") { db in
            // Snapshots of the folded state every `snapshotEvery` events: a point-in-time query loads one
            // and folds the events after it. A projection like the others: rebuilt by `rebuild`.
            try db.execute(sql: """
                CREATE TABLE snapshots (
                    seq INTEGER PRIMARY KEY,
                    format INTEGER NOT NULL,
                    state BLOB NOT NULL
                );
                INSERT INTO projection_state (key, value) VALUES ('snapshotEvery', 10000);
                UPDATE projection_state SET value = 0 WHERE key = 'checkpoint';
                """)
        }
        migrator.registerMigration("v4-proxyReportIndex") { db in
            // `why` and `timeline` look up which proxies applied a version: a partial index holds only the
            // proxy reports, so the events' append pays for it only when a proxy reports.
            try db.execute(sql: """
                CREATE INDEX events_proxy_reports ON events (type) WHERE type IN ('proxy.applied', 'proxy.rejected');
                """)
        }
        migrator.registerMigration("v5-configIndex") { db in
            // Reload settings are events (`config.changed`): a point-in-time query finds the latest one before
            // its position through this partial index.
            try db.execute(sql: """
                CREATE INDEX events_config ON events (seq) WHERE type = 'config.changed';
                """)
        }
        migrator.registerMigration("v6-proxyFailedIndex") { db in
            // `proxy.failed` (a host that could not run a version) joins the proxy reports' partial index.
            try db.execute(sql: """
                DROP INDEX events_proxy_reports;
                CREATE INDEX events_proxy_reports ON events (type) WHERE type IN ('proxy.applied', 'proxy.rejected', 'proxy.failed');
                """)
        }
        migrator.registerMigration("v8-reloadsVersionIndex") { db in
            // A reload's proxy reports end where its version is reloaded again: found by version, not by a scan.
            // And a range of positions (a timeline's) reads its reloads only.
            try db.execute(sql: "CREATE INDEX reloads_version ON reloads (version); CREATE INDEX reloads_seq ON reloads (seq)")
        }
        migrator.registerMigration("v9-dropReloadsVersionIndex") { db in
            // Its entries went in hash order, so each append's reloads rewrote as many of its pages (a quarter
            // of the append's time); a reload's proxy reports now find the next reload to their version among
            // the reloads up to them, by position.
            try db.execute(sql: "DROP INDEX reloads_version")
        }
        return migrator
    }
}

/// A GRDB connection inside a read or a write transaction.
final class SQLiteConnection: StoreConnection {
    private let db: Database
    private var eventInsert: RawStatement?
    private var reloadInsert: RawStatement?

    init(_ db: Database) { self.db = db }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [any StoreRow] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments))
    }

    func stream(_ sql: String, _ arguments: [SQLValue], _ body: (any StoreRow) throws -> Bool) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments))
        while let row = try rows.next() {
            guard try body(row) else { return }
        }
    }

    func storedEvents(ids: [String]) throws -> [String: (seq: Seq, type: String, data: String)] {
        guard !ids.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        var found: [String: (seq: Seq, type: String, data: String)] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, seq, type, data FROM events WHERE id IN (\(placeholders))",
                                       arguments: StatementArguments(ids))
        while let row = try rows.next() { found[row[0]] = (row[1], row[2], row[3]) }
        return found
    }

    func insert(events: [EventRow]) throws {
        let insert = try eventInsert ?? RawStatement(db, """
            INSERT INTO events (seq, id, type, time, log_time, recorded_at, data, meta, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        eventInsert = insert
        for event in events {
            insert.bind(1, event.seq)
            insert.bind(2, text: event.id)
            insert.bind(3, text: event.type)
            insert.bind(4, event.time)
            insert.bind(5, event.logTime)
            insert.bind(6, event.recordedAt)
            insert.bind(7, text: event.data)
            if let meta = event.meta { insert.bind(8, text: meta) } else { insert.bindNull(8) }
            insert.bind(9, blob: event.hash)
            let code = insert.run()
            guard code == 0 else { throw insert.error(code) }
        }
    }

    func insert(reloads: [ReloadRow]) throws {
        let statement = try reloadInsert ?? RawStatement(db, """
            INSERT INTO reloads (id, cluster, seq, log_time, previous_version, version, causes, diff)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        reloadInsert = statement
        for row in reloads {
            statement.bind(1, Int64(row.id))
            statement.bind(2, text: row.cluster)
            statement.bind(3, row.seq)
            statement.bind(4, row.logTime)
            if let previous = row.previousVersion { statement.bind(5, text: previous) } else { statement.bindNull(5) }
            statement.bind(6, text: row.version)
            statement.bind(7, text: row.causes)
            statement.bind(8, text: row.diff)
            let code = statement.run()
            guard code == 0 else { throw statement.error(code) }
        }
    }

    private static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .integer(let int): return int
            case .text(let text): return text
            case .blob(let bytes): return Data(bytes)
            case .null: return nil
            }
        })
    }
}

extension Row: StoreRow {
    func int(_ column: Int) throws -> Int64 { self[column] }
    func optionalInt(_ column: Int) throws -> Int64? { self[column] }
    func text(_ column: Int) throws -> String { self[column] }
    func optionalText(_ column: Int) throws -> String? { self[column] }
    func bytes(_ column: Int) throws -> [UInt8] { [UInt8](self[column] as Data) }
}
