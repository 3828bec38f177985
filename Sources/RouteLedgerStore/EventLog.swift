import Foundation
import GRDB
import Logging
import RouteLedgerCore

/// Durability of each append: FULL survives power loss; NORMAL (in WAL mode) may lose the last
/// transactions on power loss but never corrupts the log, and appends faster.
public enum Synchronous: String, Sendable, CaseIterable {
    case full = "FULL"
    case normal = "NORMAL"
}

/// How the event log opens its database.
public struct StoreOptions: Sendable {
    /// Durability of appends; `.full` by default.
    public var synchronous: Synchronous
    /// How long a writer waits for another writer's lock before giving up.
    public var busyTimeout: TimeInterval
    /// Whether opening may create the database file.
    public var create: Bool
    /// Whether large appends run the reload projection on a second thread while storing (on by default;
    /// off: one thread).
    public var parallelProjection: Bool
    /// How long a writer waits for the other writers of the database before it gives up (``WriterLock``).
    public var lockTimeout: TimeInterval

    /// Creates options with durable defaults.
    public init(synchronous: Synchronous = .full, busyTimeout: TimeInterval = 5, create: Bool = true, parallelProjection: Bool = true,
                lockTimeout: TimeInterval = 300) {
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
        self.create = create
        self.parallelProjection = parallelProjection
        self.lockTimeout = lockTimeout
    }
}

/// The append-only SQLite event log: one writer connection per process, WAL, one transaction per append.
public struct EventLog: Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let parallelProjection: Bool
    /// The reload projection as of the last append of this process, reused by the next one.
    let cache = ProjectionCache()
    /// Makes this database's writers, in every process, wait their turn.
    let writerLock: WriterLock
    /// The rebuild opening the log made because its projections followed other routing rules; nil when none
    /// was needed. Tell the operator: reload records they saw before have changed.
    public private(set) var projectionUpgrade: ProjectionUpgrade?

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
        return migrator
    }

    /// Opens (and, with `options.create`, creates) the log at `path`, migrating it to the current schema.
    ///
    /// - Throws: ``StoreError`` when the file is missing (and `create` is false), is not a RouteLedger
    ///   database, or was written by a newer schema.
    public init(path: String, options: StoreOptions = StoreOptions(),
                clock: @escaping @Sendable () -> Timestamp = EventLog.systemClock,
                logger: Logger = Logger(label: "routeledger.store")) throws {
        self.path = path
        self.clock = clock
        self.logger = logger
        parallelProjection = options.parallelProjection
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
            projectionUpgrade = try catchUpProjections()
        } catch {
            throw Self.map(error, path: path)
        }
        logger.debug("opened event log", metadata: ["path": "\(path)", "synchronous": "\(synchronous)"])
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, committed when it returns, once this writer's turn
    /// has come (``WriterLock``): every write of the log goes through here.
    func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try writerLock.withLock {
            try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        }
    }

    /// The wall clock, for `recordedAt` and events without a time.
    @Sendable public static func systemClock() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(nanosecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    /// Maps any error met at the SQLite boundary to a ``StoreError``.
    static func map(_ error: any Error, path: String) -> StoreError {
        switch error {
        case let error as StoreError:
            return error
        case let error as DocumentError:
            return .syntax(error)
        case let error as EventValidationError:
            return .invalidEvent(error)
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
}
