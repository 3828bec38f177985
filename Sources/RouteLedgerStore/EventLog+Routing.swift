import RouteLedgerCore

/// A point in the log that a query resolves to.
public struct LogPoint: Sendable, Hashable {
    /// The last event included (0: before any event).
    public var seq: Seq
    /// Its log time, when there is an event.
    public var logTime: Timestamp?
}

extension EventLog {
    /// Resolves `--seq N` / `--at TIME` (neither: the end of the log) to a position.
    ///
    /// A time before the first event resolves to 0 (the empty state).
    /// - Throws: ``PointError`` for a position outside the log; ``StoreError`` when reading fails.
    public func point(seq: Seq? = nil, at time: Timestamp? = nil) throws -> LogPoint {
        let last = try lastSeq()
        let resolved: Seq
        if let seq {
            guard seq >= 0 else { throw PointError("--seq must be 0 or more, found \(seq)") }
            guard seq <= last else { throw PointError("seq \(seq) is after the last event (\(last))") }
            resolved = seq
        } else if let time {
            resolved = try self.seq(atOrBefore: time)
        } else {
            resolved = last
        }
        return LogPoint(seq: resolved, logTime: resolved == 0 ? nil : try logTime(of: resolved))
    }

    /// The routing projection folded through `point` (events 1 … point.seq): the latest snapshot at or
    /// before it, and the events after that snapshot.
    public func projection(through point: LogPoint) throws -> RoutingProjection {
        var (projection, seq) = try read { connection in try Self.routingStartingPoint(connection, atOrBefore: point.seq) }
        try replay(after: seq, through: point.seq) { projection.apply($0) }
        return projection
    }
}

/// A point in the log that does not exist.
public struct PointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public var description: String
    public init(_ description: String) { self.description = description }
}
