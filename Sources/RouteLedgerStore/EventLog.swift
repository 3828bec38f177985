import Foundation
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
    /// How long a SQLite writer waits for SQLite's own lock before giving up (behind ``lockTimeout``, which
    /// queues RouteLedger's writers first, this only bounds other programs writing the file).
    public var busyTimeout: TimeInterval
    /// Whether opening may create the database file.
    public var create: Bool
    /// Whether large appends run the reload projection on a second thread while storing (on by default;
    /// off: one thread).
    public var parallelProjection: Bool
    /// How long a writer waits for the other writers of the log before it gives up (SQLite: ``WriterLock``;
    /// PostgreSQL: the advisory lock's `lock_timeout`).
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

/// The append-only event log: validation, the hash chain, the projections and every query, written once over
/// a storage engine (``SQLiteEngine`` for a file path, ``PostgresEngine`` for a `postgres://` URL).
public struct EventLog: Sendable {
    /// Where the log lives, for messages: the file path, or the URL without its password.
    public let path: String
    let engine: any StorageEngine
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let parallelProjection: Bool
    /// The reload projection as of the last append of this process, reused by the next one.
    let cache = ProjectionCache()
    /// The rebuild opening the log made because its projections followed other routing rules; nil when none
    /// was needed. Tell the operator: reload records they saw before have changed.
    public private(set) var projectionUpgrade: ProjectionUpgrade?

    /// Opens (and, with `options.create`, creates) the log at `location`, migrating it to the current schema:
    /// a `postgres://` or `postgresql://` URL (``DatabaseLocation``) opens it on PostgreSQL, anything else is
    /// a SQLite file path.
    ///
    /// - Throws: ``StoreError`` when the file is missing (and `create` is false), the server cannot be
    ///   reached, the database is not a RouteLedger log, or was written by a newer schema.
    public init(path location: String, options: StoreOptions = StoreOptions(),
                clock: @escaping @Sendable () -> Timestamp = EventLog.systemClock,
                logger: Logger = Logger(label: "routeledger.store")) throws {
        switch try DatabaseLocation(location) {
        case .sqlite(let file):
            engine = try SQLiteEngine(path: file, options: options)
        case .postgres(let url):
            engine = try PostgresEngine(url: url, options: options, logger: logger)
        }
        path = engine.location
        self.clock = clock
        self.logger = logger
        parallelProjection = options.parallelProjection
        projectionUpgrade = try catchUpProjections()
        logger.debug("opened event log", metadata: ["location": "\(path)"])
    }

    /// Runs `body` in one write transaction, committed when it returns, once this writer's turn has come:
    /// every write of the log goes through here.
    func writeTransaction<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        do {
            return try engine.write(body)
        } catch {
            throw mapped(error)
        }
    }

    /// Runs `body` on a consistent snapshot of the log.
    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        do {
            return try engine.read(body)
        } catch {
            throw mapped(error)
        }
    }

    /// A copy's refusal as it is; anything else in the engine's words.
    private func mapped(_ error: any Error) -> any Error {
        error is CopyError ? error : engine.map(error)
    }

    /// The wall clock, for `recordedAt` and events without a time.
    @Sendable public static func systemClock() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(nanosecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}
