import Foundation
import GRDB
import RouteLedgerCore

/// An event as stored, with everything the log keeps about it.
public struct StoredEvent: Sendable, Hashable {
    /// Gapless global position.
    public var seq: Seq
    /// Idempotency key.
    public var id: String
    /// Wire type.
    public var type: EventType
    /// When it happened in the cluster.
    public var time: Timestamp
    /// Monotonic log time.
    public var logTime: Timestamp
    /// When the log stored it.
    public var recordedAt: Timestamp
    /// The payload in canonical JSON.
    public var data: String
    /// The meta map in canonical JSON, when given.
    public var meta: String?
    /// The chained SHA-256, hex.
    public var hash: String
}

extension EventLog {
    /// The position of the last event (0 when the log is empty).
    public func lastSeq() throws -> Seq {
        try read { db in try Seq.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0 }
    }

    /// Stored events after position `after`, at most `limit`, in log order.
    public func events(after: Seq = 0, limit: Int? = nil) throws -> [StoredEvent] {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT seq, id, type, time, log_time, recorded_at, data, meta, hash FROM events
                WHERE seq > ? ORDER BY seq LIMIT ?
                """, arguments: [after, limit ?? -1])
            var events: [StoredEvent] = []
            while let row = try rows.next() { events.append(try Self.storedEvent(row)) }
            return events
        }
    }

    /// Feeds the typed events after `first` through `last` (default: all) to `body`, in log order.
    public func replay(after first: Seq = 0, through last: Seq? = nil, _ body: (RecordedEvent) throws -> Void) throws {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT seq, id, type, time, log_time, data FROM events WHERE seq > ? AND seq <= ? ORDER BY seq
                """, arguments: [first, last ?? .max])
            while let row = try rows.next() {
                try body(try Self.recordedEvent(row))
            }
        }
    }

    /// The last position whose log time is at or before `time` (0 when the log starts later).
    ///
    /// Log time never goes back, so a binary search over positions finds it without an index.
    public func seq(atOrBefore time: Timestamp) throws -> Seq {
        try read { db in
            var low: Seq = 0
            var high = try Seq.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0
            let statement = try db.cachedStatement(sql: "SELECT log_time FROM events WHERE seq = ?")
            while low < high {
                let middle = low + (high - low + 1) / 2
                let logTime = try Int64.fetchOne(statement, arguments: [middle]) ?? .max
                if logTime <= time.nanosecondsSinceEpoch { low = middle } else { high = middle - 1 }
            }
            return low
        }
    }

    /// The log time of the event at `seq`, when stored.
    public func logTime(of seq: Seq) throws -> Timestamp? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT log_time FROM events WHERE seq = ?", arguments: [seq])
                .map(Timestamp.init(nanosecondsSinceEpoch:))
        }
    }

    static func storedEvent(_ row: Row) throws -> StoredEvent {
        let seq: Seq = row["seq"]
        let typeName: String = row["type"]
        guard let type = EventType(rawValue: typeName) else {
            throw StoreError.corrupt(seq: seq, reason: "unknown type \(typeName)")
        }
        return StoredEvent(
            seq: seq, id: row["id"], type: type,
            time: Timestamp(nanosecondsSinceEpoch: row["time"]),
            logTime: Timestamp(nanosecondsSinceEpoch: row["log_time"]),
            recordedAt: Timestamp(nanosecondsSinceEpoch: row["recorded_at"]),
            data: row["data"], meta: row["meta"], hash: [UInt8](row["hash"] as Data).hexString)
    }

    static func recordedEvent(_ row: Row) throws -> RecordedEvent {
        let seq: Seq = row["seq"]
        let typeName: String = row["type"]
        guard let type = EventType(rawValue: typeName) else {
            throw StoreError.corrupt(seq: seq, reason: "unknown type \(typeName)")
        }
        let event: ClusterEvent
        do {
            event = try EventDecoder.payload(type: type, data: row["data"] as String)
        } catch {
            throw StoreError.corrupt(seq: seq, reason: "\(error)")
        }
        return RecordedEvent(seq: seq, id: row["id"], time: Timestamp(nanosecondsSinceEpoch: row["time"]),
                             logTime: Timestamp(nanosecondsSinceEpoch: row["log_time"]), event: event)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw Self.map(error, path: path)
        }
    }
}
