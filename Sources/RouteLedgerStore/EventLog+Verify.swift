import Foundation
import RouteLedgerCore

/// A hash an operator recorded for a position (`verify --expect SEQ:HASH`): a hash chain alone cannot show
/// that its tail was cut off or the whole log rewritten, a hash kept elsewhere can.
public struct LogAnchor: Sendable, Hashable, CustomStringConvertible {
    /// The position it anchors, 1 or more.
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
    /// The last intact position: the end of the log, or the one before `firstBad`.
    public var lastSeq: Seq
    /// The first event that fails a check, and why; nil when the log is intact.
    public var firstBad: (seq: Seq, reason: String)?
    /// The hash of the last intact event (hex), to record as an anchor; nil for an empty log.
    public var lastHash: String?
    /// The first anchor the log does not hold, and why (checked once the chain is intact).
    public var failedAnchor: (anchor: LogAnchor, reason: String)?

    /// Whether every check passed.
    public var isIntact: Bool { firstBad == nil && failedAnchor == nil }

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
        if let problem = try engine.integrityProblem() {
            throw StoreError.database(path: path, message: "the database file is damaged: \(problem)")
        }
        return try read { connection in
            var previous = EventHash.genesis
            var expected: Seq = 1
            var lastLogTime = Int64.min
            var count = 0
            let anchored = Set(anchors.map(\.seq))
            var held: [Seq: String] = [:]
            var firstBad: VerifyReport?
            try connection.stream("SELECT \(storedEventColumns) FROM events ORDER BY seq", []) { row in
                let seq = try row.int(0)
                func bad(_ reason: String) -> Bool {
                    firstBad = VerifyReport(events: count, lastSeq: expected - 1, firstBad: (seq, reason),
                                            lastHash: count > 0 ? previous.hexString : nil)
                    return false
                }
                if seq != expected { return bad("expected seq \(expected): events are missing before it") }
                let typeName = try row.text(2)
                guard let type = EventType(rawValue: typeName) else { return bad("unknown type \(typeName)") }
                let data = try row.text(6)
                let meta = try row.optionalText(7)
                do {
                    _ = try EventDecoder.payload(type: type, data: data)
                } catch {
                    return bad("data is not a valid \(typeName) payload: \(error)")
                }
                let time = try row.int(3)
                let logTime = try row.int(4)
                if logTime != max(time, lastLogTime) {
                    return bad("logTime is not max(time, previous logTime)")
                }
                let hash = EventHash.chain(
                    previous: previous, seq: seq, id: try row.text(1), type: typeName,
                    time: Timestamp(nanosecondsSinceEpoch: time), logTime: Timestamp(nanosecondsSinceEpoch: logTime),
                    recordedAt: Timestamp(nanosecondsSinceEpoch: try row.int(5)),
                    data: Array(data.utf8), meta: meta.map { Array($0.utf8) })
                if try row.bytes(8) != hash { return bad("hash mismatch: the event or one before it was changed") }
                if anchored.contains(seq) { held[seq] = hash.hexString }
                previous = hash
                lastLogTime = logTime
                expected += 1
                count += 1
                return true
            }
            if let firstBad { return firstBad }
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
