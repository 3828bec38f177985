import Foundation
import GRDB
import RouteLedgerCore

/// The outcome of checking the whole log.
public struct VerifyReport: Sendable, Equatable {
    /// Events checked.
    public var events: Int
    /// The last position checked.
    public var lastSeq: Seq
    /// The first event that fails a check, and why; nil when the log is intact.
    public var firstBad: (seq: Seq, reason: String)?

    /// Whether every check passed.
    public var isIntact: Bool { firstBad == nil }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.events == rhs.events && lhs.lastSeq == rhs.lastSeq
            && lhs.firstBad?.seq == rhs.firstBad?.seq && lhs.firstBad?.reason == rhs.firstBad?.reason
    }
}

extension EventLog {
    /// Checks the whole log: positions gapless from 1, log time never going back, every payload valid for
    /// its type, and the SHA-256 chain. Stops at the first bad event.
    public func verify() throws -> VerifyReport {
        try read { db in
            try db.execute(sql: "PRAGMA quick_check")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT seq, id, type, time, log_time, recorded_at, data, meta, hash FROM events ORDER BY seq
                """)
            var previous = EventHash.genesis
            var expected: Seq = 1
            var lastLogTime = Int64.min
            var count = 0
            while let row = try rows.next() {
                let seq: Seq = row["seq"]
                func bad(_ reason: String) -> VerifyReport {
                    VerifyReport(events: count, lastSeq: expected - 1, firstBad: (seq, reason))
                }
                if seq != expected { return bad("expected seq \(expected): events are missing before it") }
                let typeName: String = row["type"]
                guard let type = EventType(rawValue: typeName) else { return bad("unknown type \(typeName)") }
                let data: String = row["data"]
                let meta: String? = row["meta"]
                do {
                    _ = try EventDecoder.payload(type: type, data: data)
                } catch {
                    return bad("data is not a valid \(typeName) payload: \(error)")
                }
                let time: Int64 = row["time"]
                let logTime: Int64 = row["log_time"]
                if logTime != max(time, lastLogTime) {
                    return bad("logTime is not max(time, previous logTime)")
                }
                let hash = EventHash.chain(
                    previous: previous, seq: seq, id: row["id"], type: typeName,
                    time: Timestamp(nanosecondsSinceEpoch: time), logTime: Timestamp(nanosecondsSinceEpoch: logTime),
                    recordedAt: Timestamp(nanosecondsSinceEpoch: row["recorded_at"]),
                    data: Array(data.utf8), meta: meta.map { Array($0.utf8) })
                let stored = [UInt8](row["hash"] as Data)
                if stored != hash { return bad("hash mismatch: the event or one before it was changed") }
                previous = hash
                lastLogTime = logTime
                expected += 1
                count += 1
            }
            return VerifyReport(events: count, lastSeq: expected - 1, firstBad: nil)
        }
    }
}
