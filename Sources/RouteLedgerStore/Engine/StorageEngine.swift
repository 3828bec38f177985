import Logging
import RouteLedgerCore

/// Where an event log lives and how it is reached: the part of the log that differs between SQLite and
/// PostgreSQL. Everything else (validation, the hash chain, the projections, point-in-time queries, verify,
/// rebuild) is written once, in `EventLog`, against ``StoreConnection``.
///
/// An engine guarantees:
/// - ``read(_:)`` sees one consistent snapshot of the log for the whole closure;
/// - ``write(_:)`` runs its closure in one transaction, committed when it returns and rolled back when it
///   throws, once every other writer of the log, in any process on any host, has finished (writers queue,
///   bounded by the lock timeout); so a writer that reads the head inside it may number the next event.
protocol StorageEngine: Sendable {
    /// The log's location for messages: a file path, or a URL without its password.
    var location: String { get }
    /// Input events an append decodes before it looks their ids up and stores them, as one block.
    var appendBlockSize: Int { get }
    /// Runs `body` on a connection holding a consistent snapshot.
    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T
    /// Runs `body` in one write transaction, in this writer's turn.
    func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T
    /// Checks the storage itself (SQLite's page structure); nil when intact or when the engine has no such
    /// check.
    func integrityProblem() throws -> String?
    /// Maps a driver error to a ``StoreError`` naming this log.
    func map(_ error: any Error) -> StoreError
    /// Starts listening for appends by other processes; nil when the engine cannot (its readers poll).
    func listen(logger: Logger) -> AppendListener?
}

extension StorageEngine {
    func listen(logger: Logger) -> AppendListener? { nil }
}

/// A parameter for a `?` placeholder of the shared SQL.
enum SQLValue: Sendable, Hashable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

/// A row of a result, its columns by position in the SELECT list.
protocol StoreRow {
    func int(_ column: Int) throws -> Int64
    func optionalInt(_ column: Int) throws -> Int64?
    func text(_ column: Int) throws -> String
    func optionalText(_ column: Int) throws -> String?
    func bytes(_ column: Int) throws -> [UInt8]
}

/// One connection of an engine, inside ``StorageEngine/read(_:)`` or ``StorageEngine/write(_:)``. SQL is
/// written once, with `?` placeholders, in the dialect both engines share.
protocol StoreConnection: AnyObject {
    /// Runs a statement that returns no rows.
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
    /// The rows of a small result.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [any StoreRow]
    /// Streams the rows of a large result (a scan of the log) to `body` until it returns false. A row is only
    /// valid during its call.
    func stream(_ sql: String, _ arguments: [SQLValue], _ body: (any StoreRow) throws -> Bool) throws
    /// The stored events among `ids`: their position, type and data.
    func storedEvents(ids: [String]) throws -> [String: (seq: Seq, type: String, data: String)]
    /// Inserts events as the next rows of the log (the caller numbered and chained them).
    func insert(events: [EventRow]) throws
    /// Inserts reload records.
    func insert(reloads: [ReloadRow]) throws
}

extension StoreConnection {
    func execute(_ sql: String, _ arguments: SQLValue...) throws { try execute(sql, arguments) }

    /// The first column of the first row, when there is one and it is not NULL.
    func int(_ sql: String, _ arguments: SQLValue...) throws -> Int64? {
        try rows(sql, arguments).first?.optionalInt(0)
    }

    /// Streams every row to `body`.
    func forEach(_ sql: String, _ arguments: [SQLValue], _ body: (any StoreRow) throws -> Void) throws {
        try stream(sql, arguments) { row in
            try body(row)
            return true
        }
    }
}

/// An event as a row of `events`.
struct EventRow {
    var seq: Seq
    var id: String
    var type: String
    var time: Int64
    var logTime: Int64
    var recordedAt: Int64
    var data: [UInt8]
    var meta: [UInt8]?
    var hash: [UInt8]
}

/// The columns every reader of whole events selects, in this order (see ``EventLog/storedEvent(_:)``).
let storedEventColumns = "seq, id, type, time, log_time, recorded_at, data, meta, hash"
/// The columns a fold needs, in this order (see ``EventLog/recordedEvent(_:)``).
let recordedEventColumns = "seq, id, type, time, log_time, data"
/// The columns of a reload record, in this order (see ``ReloadRow/init(_:)``).
let reloadColumns = "id, cluster, seq, log_time, previous_version, version, causes, diff"
