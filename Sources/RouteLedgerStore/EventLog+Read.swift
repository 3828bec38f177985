import Foundation
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
    /// The payload as given, without the whitespace outside strings (member order and escapes are the writer's).
    public var data: String
    /// The meta map, stored the same way, when given.
    public var meta: String?
    /// The chained SHA-256, hex.
    public var hash: String
}

extension EventLog {
    /// The position of the last event (0 when the log is empty).
    public func lastSeq() throws -> Seq {
        try read { connection in try Self.lastSeq(connection) }
    }

    /// Stored events after position `after`, at most `limit`, in log order.
    public func events(after: Seq = 0, limit: Int? = nil) throws -> [StoredEvent] {
        try read { connection in
            var events: [StoredEvent] = []
            try connection.stream("SELECT \(storedEventColumns) FROM events WHERE seq > ? ORDER BY seq", [.integer(after)]) { row in
                if let limit, events.count >= limit { return false }
                events.append(try Self.storedEvent(row))
                return true
            }
            return events
        }
    }

    /// How many events after `first` through `last` there are, of `types` only when given.
    public func countEvents(after first: Seq, through last: Seq, types: Set<EventType> = []) throws -> Int {
        try read { connection in
            var sql = "SELECT count(*) FROM events WHERE seq > ? AND seq <= ?"
            var arguments: [SQLValue] = [.integer(first), .integer(last)]
            if !types.isEmpty {
                sql += " AND type IN (" + types.map { _ in "?" }.joined(separator: ", ") + ")"
                arguments += types.sorted { $0.rawValue < $1.rawValue }.map { .text($0.rawValue) }
            }
            return Int(try connection.rows(sql, arguments).first?.int(0) ?? 0)
        }
    }

    /// Feeds the typed events after `first` through `last` (default: all) to `body`, in log order.
    public func replay(after first: Seq = 0, through last: Seq? = nil, _ body: (RecordedEvent) throws -> Void) throws {
        try read { connection in
            try connection.forEach("SELECT \(recordedEventColumns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                                   [.integer(first), .integer(last ?? .max)]) { row in
                try body(try Self.recordedEvent(row))
            }
        }
    }

    /// The last position whose log time is at or before `time` (0 when the log starts later).
    ///
    /// Log time never goes back, so a binary search over positions finds it without an index.
    public func seq(atOrBefore time: Timestamp) throws -> Seq {
        try read { connection in
            var low: Seq = 0
            var high = try Self.lastSeq(connection)
            while low < high {
                let middle = low + (high - low + 1) / 2
                let logTime = try connection.int("SELECT log_time FROM events WHERE seq = ?", .integer(middle)) ?? .max
                if logTime <= time.nanosecondsSinceEpoch { low = middle } else { high = middle - 1 }
            }
            return low
        }
    }

    /// The log time of the event at `seq`, when stored.
    public func logTime(of seq: Seq) throws -> Timestamp? {
        try read { connection in
            try connection.int("SELECT log_time FROM events WHERE seq = ?", .integer(seq)).map(Timestamp.init(nanosecondsSinceEpoch:))
        }
    }

    /// An event selected as ``storedEventColumns``.
    static func storedEvent(_ row: any StoreRow) throws -> StoredEvent {
        let seq = try row.int(0)
        let typeName = try row.text(2)
        guard let type = EventType(rawValue: typeName) else {
            throw StoreError.corrupt(seq: seq, reason: "unknown type \(typeName)")
        }
        return StoredEvent(
            seq: seq, id: try row.text(1), type: type,
            time: Timestamp(nanosecondsSinceEpoch: try row.int(3)),
            logTime: Timestamp(nanosecondsSinceEpoch: try row.int(4)),
            recordedAt: Timestamp(nanosecondsSinceEpoch: try row.int(5)),
            data: try row.text(6), meta: try row.optionalText(7), hash: try row.bytes(8).hexString)
    }

    /// An event selected as ``recordedEventColumns``, decoded.
    static func recordedEvent(_ row: any StoreRow) throws -> RecordedEvent {
        let seq = try row.int(0)
        let typeName = try row.text(2)
        guard let type = EventType(rawValue: typeName) else {
            throw StoreError.corrupt(seq: seq, reason: "unknown type \(typeName)")
        }
        let event: ClusterEvent
        do {
            event = try EventDecoder.payload(type: type, data: try row.text(5))
        } catch {
            throw StoreError.corrupt(seq: seq, reason: "\(error)")
        }
        return RecordedEvent(seq: seq, id: try row.text(1), time: Timestamp(nanosecondsSinceEpoch: try row.int(3)),
                             logTime: Timestamp(nanosecondsSinceEpoch: try row.int(4)), event: event)
    }
}
