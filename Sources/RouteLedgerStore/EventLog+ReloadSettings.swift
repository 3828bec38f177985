import Foundation
import RouteLedgerCore

/// The settings the projections follow: how reloads coalesce (``ReloadSettings``, changed by appending a
/// `config.changed` event), how far apart snapshots are, and the state row the projections keep.
extension EventLog {
    /// How reloads coalesce at the end of the log: the latest `config.changed` event's settings, else those
    /// the log started with.
    public func reloadSettings() throws -> ReloadSettings {
        try read { connection in try Self.settings(connection, at: try Self.lastSeq(connection)) }
    }

    /// Changes how reloads coalesce from the end of the log on, by appending a `config.changed` event: the
    /// reloads before it, and their ids, never change (a rebuild folds the same events to the same reloads).
    ///
    /// The event's time is the log time it lands on (the head's; the epoch on an empty log), so a setting
    /// never moves the log's clock: events appended after it keep their own times.
    @discardableResult
    public func setReloadSettings(_ settings: ReloadSettings) throws -> AppendResult {
        let time = try logTime(of: try lastSeq()) ?? Timestamp(nanosecondsSinceEpoch: 0)
        return try append([IncomingEvent(.configChanged(settings), time: time)])
    }

    /// How many events apart snapshots are taken.
    public func snapshotInterval() throws -> Int {
        try read { connection in Int(try Self.snapshotEvery(connection)) }
    }

    /// Changes how many events apart snapshots are taken, and rebuilds the projections with it.
    public func setSnapshotInterval(_ events: Int) throws {
        try writeProjections { connection in
            try connection.execute("UPDATE projection_state SET value = ? WHERE key = 'snapshotEvery'", .integer(Int64(max(1, events))))
            try rebuildProjections(connection)
        }
    }

    /// The settings a log's projections start from: none on a log made since `config.changed` exists; logs
    /// configured before it keep theirs here, so their reloads never change.
    static func baseSettings(_ connection: any StoreConnection) throws -> ReloadSettings {
        ReloadSettings(settle: try state(connection, "settle") ?? 0, maxWait: try state(connection, "maxWait") ?? 0)
    }

    /// The rules version the stored projections follow; projections stored before versions were kept
    /// (no row) follow version 1.
    static func rulesVersion(_ connection: any StoreConnection) throws -> Int {
        Int(try state(connection, "rulesVersion") ?? 1)
    }

    /// The settings in force after the event at `seq`: the latest `config.changed` at or before it, else the
    /// base settings.
    static func settings(_ connection: any StoreConnection, at seq: Seq) throws -> ReloadSettings {
        guard let row = try connection.rows("SELECT seq, data FROM events WHERE type = 'config.changed' AND seq <= ? ORDER BY seq DESC LIMIT 1",
                                            [.integer(seq)]).first else {
            return try baseSettings(connection)
        }
        guard case .configChanged(let settings) = try EventDecoder.payload(type: .configChanged, data: try row.text(1)) else {
            throw StoreError.corrupt(seq: try row.int(0), reason: "config.changed without settings")
        }
        return settings
    }

    static func checkpoint(_ connection: any StoreConnection) throws -> Seq {
        try state(connection, "checkpoint") ?? 0
    }

    static func snapshotEvery(_ connection: any StoreConnection) throws -> Seq {
        max(1, try state(connection, "snapshotEvery") ?? 10_000)
    }

    static func state(_ connection: any StoreConnection, _ key: String) throws -> Int64? {
        try connection.int("SELECT value FROM projection_state WHERE key = ?", .text(key))
    }
}
