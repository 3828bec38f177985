import Foundation
import GRDB
import RouteLedgerCore

/// A hash an operator recorded for a position (`verify --expect SEQ:HASH`): a hash chain alone cannot show
/// that its tail was cut off or the whole log rewritten, a hash kept elsewhere can.
public struct LogAnchor: Sendable, Hashable, CustomStringConvertible {
    /// The position.
    public var seq: Seq
    /// The event's SHA-256 there, 64 lowercase hex digits.
    public var hash: String

    /// Parses `SEQ:HASH` (a position from 1, and 64 hex digits); nil when it is not of that form.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Seq(parts[0]), seq >= 1, parts[1].count == 64,
              parts[1].allSatisfy(\.isHexDigit) else { return nil }
        self.seq = seq
        hash = parts[1].lowercased()
    }

    public var description: String { "\(seq):\(hash)" }
}

/// The outcome of checking the whole log.
public struct VerifyReport: Sendable, Equatable {
    /// Events checked.
    public var events: Int
    /// The last position checked.
    public var lastSeq: Seq
    /// The first event that fails a check, and why; nil when the log is intact.
    public var firstBad: (seq: Seq, reason: String)?
    /// The hash of the last intact event (hex), to record as an anchor; nil for an empty log.
    public var lastHash: String?
    /// The first anchor the log does not hold, and why (checked once the chain is intact).
    public var failedAnchor: (anchor: LogAnchor, reason: String)?

    /// Whether every check passed.
    public var isIntact: Bool { firstBad == nil && failedAnchor == nil }

    /// Creates a report.
    public init(events: Int, lastSeq: Seq, firstBad: (seq: Seq, reason: String)?, lastHash: String? = nil,
                failedAnchor: (anchor: LogAnchor, reason: String)? = nil) {
        self.events = events
        self.lastSeq = lastSeq
        self.firstBad = firstBad
        self.lastHash = lastHash
        self.failedAnchor = failedAnchor
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.events == rhs.events && lhs.lastSeq == rhs.lastSeq
            && lhs.firstBad?.seq == rhs.firstBad?.seq && lhs.firstBad?.reason == rhs.firstBad?.reason
            && lhs.lastHash == rhs.lastHash
            && lhs.failedAnchor?.anchor == rhs.failedAnchor?.anchor && lhs.failedAnchor?.reason == rhs.failedAnchor?.reason
    }
}

extension EventLog {
    /// Checks the whole log: positions gapless from 1, log time never going back, every payload valid for
    /// its type, and the SHA-256 chain. Stops at the first bad event. Then, when the chain is intact, that
    /// the log holds each of `anchors`.
    public func verify(anchors: [LogAnchor] = []) throws -> VerifyReport {
        try read { db in
            try db.execute(sql: "PRAGMA quick_check")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT seq, id, type, time, log_time, recorded_at, data, meta, hash FROM events ORDER BY seq
                """)
            var previous = EventHash.genesis
            var expected: Seq = 1
            var lastLogTime = Int64.min
            var count = 0
            let anchored = Set(anchors.map(\.seq))
            var held: [Seq: String] = [:]
            while let row = try rows.next() {
                let seq: Seq = row["seq"]
                func bad(_ reason: String) -> VerifyReport {
                    VerifyReport(events: count, lastSeq: expected - 1, firstBad: (seq, reason),
                                 lastHash: count > 0 ? previous.hexString : nil)
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
                if anchored.contains(seq) { held[seq] = hash.hexString }
                previous = hash
                lastLogTime = logTime
                expected += 1
                count += 1
            }
            let lastSeq = expected - 1
            var report = VerifyReport(events: count, lastSeq: lastSeq, firstBad: nil, lastHash: count > 0 ? previous.hexString : nil)
            for anchor in anchors {
                if let hash = held[anchor.seq] {
                    guard hash != anchor.hash else { continue }
                    report.failedAnchor = (anchor, "the log holds \(hash) there: it is not the log the anchor was recorded from (rewritten at or before seq \(anchor.seq))")
                } else {
                    report.failedAnchor = (anchor, "the log ends at seq \(lastSeq): events were cut off from its end")
                }
                break
            }
            return report
        }
    }
}
