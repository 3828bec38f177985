import Foundation
import GRDB
import RouteLedgerCore

/// The reload projection this process last left at a position, so that the next append continues from it
/// instead of replaying the log.
final class ProjectionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var projection: ReloadProjection?
    private var seq: Seq = 0

    /// Takes the cached projection (leaving none: a failed append must not see a half-applied one).
    func take() -> (ReloadProjection, Seq)? {
        lock.lock()
        defer { lock.unlock() }
        guard let projection else { return nil }
        self.projection = nil
        return (projection, seq)
    }

    /// Keeps `projection` as of `seq`.
    func store(_ projection: ReloadProjection, at seq: Seq) {
        lock.lock()
        defer { lock.unlock() }
        self.projection = projection
        self.seq = seq
    }

    /// Forgets the cached projection.
    func invalidate() {
        lock.lock()
        defer { lock.unlock() }
        projection = nil
    }
}

/// Projections rebuilt when the log was opened, because they followed other routing rules.
public struct ProjectionUpgrade: Sendable, Hashable, CustomStringConvertible {
    /// The rules version the stored projections followed.
    public var fromRules: Int
    /// The rules version they follow now (this build's).
    public var toRules: Int
    /// The events replayed.
    public var events: Seq
    /// How long the rebuild took.
    public var duration: Duration

    public var description: String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return "reload records and snapshots followed routing rules v\(fromRules) (\(RoutingRules.summary(fromRules))); "
            + "rebuilt them from \(events) events with rules v\(toRules) in \(String(format: "%.2f", seconds)) s"
    }
}

/// The projections kept beside the log: reloads, written in the same transaction as the events they follow.
extension EventLog {
    /// The reload settings the projections were built with.
    public func reloadSettings() throws -> ReloadSettings {
        try read { db in try Self.settings(db) }
    }

    /// Changes the reload settings and rebuilds the projections with them, in one transaction.
    public func setReloadSettings(_ settings: ReloadSettings) throws {
        try writeProjections { db in
            try db.execute(sql: "UPDATE projection_state SET value = ? WHERE key = 'settle'", arguments: [settings.settle])
            try db.execute(sql: "UPDATE projection_state SET value = ? WHERE key = 'maxWait'", arguments: [settings.maxWait])
            try rebuildProjections(db)
        }
    }

    /// How many events apart snapshots are taken.
    public func snapshotInterval() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'snapshotEvery'") ?? 10_000 }
    }

    /// Changes how many events apart snapshots are taken, and rebuilds the projections with it.
    public func setSnapshotInterval(_ events: Int) throws {
        try writeProjections { db in
            try db.execute(sql: "UPDATE projection_state SET value = ? WHERE key = 'snapshotEvery'", arguments: [max(1, events)])
            try rebuildProjections(db)
        }
    }

    /// Recomputes every projection from the log, in one transaction. Returns the number of reloads.
    @discardableResult
    public func rebuild() throws -> Int {
        try writeProjections { db in try rebuildProjections(db) }
        return try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM reloads") ?? 0 }
    }

    /// Replays the whole log and compares the reloads it gives with the stored ones.
    ///
    /// - Returns: the first difference, in words, or nil when every stored record matches.
    public func verifyProjections() throws -> String? {
        try read { db in
            var projection = ReloadProjection(settings: try Self.settings(db), tracksEffects: false)
            let stored = try Row.fetchCursor(db, sql: "SELECT * FROM reloads ORDER BY id")
            var expected: [ReloadRow] = []
            var checked = 0
            func compare() throws -> String? {
                for row in expected {
                    guard let storedRow = try stored.next() else { return "reload \(row.id) is missing from the store" }
                    let actual = ReloadRow(storedRow)
                    if actual != row { return "reload \(row.id) differs: stored \(actual.summary), replay gives \(row.summary)" }
                    checked += 1
                }
                expected.removeAll(keepingCapacity: true)
                return nil
            }
            let checkpoint = try Self.checkpoint(db)
            let events = try Row.fetchCursor(db, sql: "SELECT seq, id, type, time, log_time, data FROM events WHERE seq <= ? ORDER BY seq",
                                             arguments: [checkpoint])
            while let row = try events.next() {
                expected += projection.apply(try Self.recordedEvent(row)).reloads.map(ReloadRow.init)
                if let difference = try compare() { return difference }
            }
            if let extra = try stored.next() { return "reload \(ReloadRow(extra).id) is stored but the replay gives no such reload" }
            return try Self.verifySnapshots(db)
        }
    }

    /// Replays the log and compares the snapshots it would take with the stored ones.
    private static func verifySnapshots(_ db: Database) throws -> String? {
        let stored = try Row.fetchAll(db, sql: "SELECT seq, state FROM snapshots ORDER BY seq")
        var projection = ReloadProjection(settings: try settings(db), tracksEffects: false)
        let every = max(1, try Seq.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'snapshotEvery'") ?? 10_000)
        var expected: [(Seq, [UInt8])] = []
        var last: Seq = 0
        let events = try Row.fetchCursor(db, sql: "SELECT seq, id, type, time, log_time, data FROM events WHERE seq <= ? ORDER BY seq",
                                         arguments: [try checkpoint(db)])
        while let row = try events.next() {
            let event = try recordedEvent(row)
            _ = projection.apply(event)
            if event.seq - last >= every, let bytes = projection.snapshot() {
                expected.append((event.seq, bytes))
                last = event.seq
            }
        }
        for (i, row) in stored.enumerated() {
            let seq: Seq = row["seq"]
            guard i < expected.count, expected[i].0 == seq else { return "snapshot at seq \(seq) is not one a replay takes" }
            if [UInt8](row["state"] as Data) != expected[i].1 { return "snapshot at seq \(seq) differs from a replay" }
        }
        if stored.count < expected.count { return "snapshot at seq \(expected[stored.count].0) is missing" }
        return nil
    }

    /// The version of the routing rules the stored projections follow (``RoutingRules``).
    public func rulesVersion() throws -> Int {
        try read { db in try Self.rulesVersion(db) }
    }

    /// Brings the projections up to the end of the log (after a migration from a schema without them) and to
    /// this build's routing rules.
    ///
    /// - Returns: the rebuild that rules of another version made necessary, when the log holds events.
    func catchUpProjections() throws -> ProjectionUpgrade? {
        let (behind, rules, last) = try read { db in
            let last = try Seq.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0
            return (try Self.checkpoint(db) < last, try Self.rulesVersion(db), last)
        }
        if rules != RoutingRules.version {
            let start = ContinuousClock.now
            var rebuilt = false
            try writeProjections { db in
                // Another process may have rebuilt them while this one waited for the write lock.
                guard try Self.rulesVersion(db) != RoutingRules.version else { return }
                try rebuildProjections(db)
                rebuilt = true
            }
            guard rebuilt, last > 0 else { return nil }
            let upgrade = ProjectionUpgrade(fromRules: rules, toRules: RoutingRules.version, events: last,
                                            duration: ContinuousClock.now - start)
            logger.info("\(upgrade)")
            return upgrade
        }
        if behind {
            logger.info("building projections for events appended before they existed")
            try writeProjections { db in try rebuildProjections(db) }
        }
        return nil
    }

    private func writeProjections(_ body: (Database) throws -> Void) throws {
        cache.invalidate()
        do {
            try writeTransaction(body)
        } catch {
            throw Self.map(error, path: path)
        }
    }

    static func settings(_ db: Database) throws -> ReloadSettings {
        let settle = try Int64.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'settle'") ?? 0
        let maxWait = try Int64.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'maxWait'") ?? 0
        return ReloadSettings(settle: settle, maxWait: maxWait)
    }

    /// The rules version the stored projections follow; projections stored before versions were kept
    /// (no row) follow version 1.
    static func rulesVersion(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'rulesVersion'") ?? 1
    }

    static func checkpoint(_ db: Database) throws -> Seq {
        try Seq.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'checkpoint'") ?? 0
    }

    /// Recomputes the reload records and snapshots inside the caller's write transaction. Events are read and
    /// decoded on one thread (``ReplayPipeline``), folded on another (``ProjectionPipeline``), and written on
    /// this one.
    private func rebuildProjections(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM reloads")
        try db.execute(sql: "DELETE FROM snapshots")
        let writer = try ReloadWriter(db)
        var snapshots = try SnapshotWriter(db)
        let last = try Seq.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0
        // Three stages: the reader decodes, the projection folds, this thread writes.
        let reader = ReplayPipeline(pool: pool, path: path, after: 0, through: last)
        defer { reader.close() }
        let projector = ProjectionPipeline(projection: ReloadProjection(settings: try Self.settings(db), tracksEffects: false),
                                           snapshotEvery: snapshots.every, lastSnapshot: snapshots.last)
        defer { projector.close() }
        func write(_ outputs: [ProjectionPipeline.Output]) throws {
            for output in outputs {
                for row in output.rows { try writer.insert(row) }
                for snapshot in output.snapshots { try snapshots.insert(snapshot.bytes, at: snapshot.seq) }
            }
        }
        replay: while true {
            switch reader.next() {
            case .events(let block):
                projector.submit(block)
                try write(projector.ready())
            case .failed(let error):
                throw error
            case .end:
                break replay
            }
        }
        try write(projector.finish().0)
        try db.execute(sql: "UPDATE projection_state SET value = ? WHERE key = 'checkpoint'", arguments: [last])
        try db.execute(sql: "INSERT OR REPLACE INTO projection_state (key, value) VALUES ('rulesVersion', ?)",
                       arguments: [RoutingRules.version])
    }

    /// The projection as of the end of the log, inside a write transaction: from this process's cache, caught
    /// up with events other writers appended since (their projection rows are already stored).
    static func projection(_ db: Database, cache: ProjectionCache, head: Seq) throws -> ReloadProjection {
        let current = try settings(db)
        var (projection, seq) = try cache.take() ?? startingPoint(db, atOrBefore: head, tracksEffects: false)
        if seq > head || projection.settings != current {
            (projection, seq) = try startingPoint(db, atOrBefore: head, tracksEffects: false)
        }
        if seq < head {
            let events = try Row.fetchCursor(db, sql: "SELECT seq, id, type, time, log_time, data FROM events WHERE seq > ? ORDER BY seq",
                                             arguments: [seq])
            while let row = try events.next() { _ = projection.apply(try recordedEvent(row)) }
        }
        return projection
    }
}

extension EventLog {
    /// The reload projection to start a replay from: the latest readable snapshot at or before `seq`, or
    /// the empty projection.
    static func startingPoint(_ db: Database, atOrBefore seq: Seq, tracksEffects: Bool) throws -> (ReloadProjection, Seq) {
        let settings = try settings(db)
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, format, state FROM snapshots WHERE seq <= ? ORDER BY seq DESC",
                                       arguments: [seq])
        while let row = try rows.next() {
            guard (row["format"] as Int) == ClusterState.snapshotVersion,
                  let projection = try? ReloadProjection(snapshot: [UInt8](row["state"] as Data), settings: settings,
                                                         tracksEffects: tracksEffects) else { continue }
            return (projection, row["seq"])
        }
        return (ReloadProjection(settings: settings, tracksEffects: tracksEffects), 0)
    }
}

extension EventLog {
    /// The routing to start a routing query from: the latest readable snapshot at or before `seq`.
    static func routingStartingPoint(_ db: Database, atOrBefore seq: Seq) throws -> (RoutingProjection, Seq) {
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, format, state FROM snapshots WHERE seq <= ? ORDER BY seq DESC",
                                       arguments: [seq])
        while let row = try rows.next() {
            guard (row["format"] as Int) == ClusterState.snapshotVersion,
                  let routing = try? ReloadProjection.routing(fromSnapshot: [UInt8](row["state"] as Data)) else { continue }
            return (routing, row["seq"])
        }
        return (RoutingProjection(), 0)
    }
}

/// Writes a snapshot every `snapshotEvery` events (at the first event after that where no settle window is
/// open).
struct SnapshotWriter {
    private let db: Database
    /// The snapshot interval, in events.
    let every: Seq
    /// The position of the newest snapshot.
    private(set) var last: Seq

    init(_ db: Database) throws {
        self.db = db
        every = max(1, try Seq.fetchOne(db, sql: "SELECT value FROM projection_state WHERE key = 'snapshotEvery'") ?? 10_000)
        last = try Seq.fetchOne(db, sql: "SELECT max(seq) FROM snapshots") ?? 0
    }

    mutating func consider(_ projection: ReloadProjection, at seq: Seq) throws {
        guard seq - last >= every, let bytes = projection.snapshot() else { return }
        try insert(bytes, at: seq)
    }

    /// Stores a snapshot taken elsewhere (by the projection thread of a large append).
    mutating func insert(_ bytes: [UInt8], at seq: Seq) throws {
        try db.execute(sql: "INSERT INTO snapshots (seq, format, state) VALUES (?, ?, ?)",
                       arguments: [seq, ClusterState.snapshotVersion, Data(bytes)])
        last = seq
    }
}

/// Inserts reload records (through the C API: this runs for about every other event of a busy cluster).
struct ReloadWriter {
    private let statement: RawStatement

    init(_ db: Database) throws {
        statement = try RawStatement(db, """
            INSERT INTO reloads (id, cluster, seq, log_time, previous_version, version, causes, diff)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    func insert(_ reload: Reload) throws {
        try insert(ReloadRow(reload))
    }

    func insert(_ row: ReloadRow) throws {
        statement.bind(1, Int64(row.id))
        statement.bind(2, text: row.cluster)
        statement.bind(3, row.seq)
        statement.bind(4, row.logTime)
        if let previous = row.previousVersion { statement.bind(5, text: previous) } else { statement.bindNull(5) }
        statement.bind(6, text: row.version)
        statement.bind(7, text: row.causes)
        statement.bind(8, text: row.diff)
        let code = statement.run()
        guard code == 0 else { throw statement.error(code) }
    }
}

/// A reload as stored: the columns of its row.
struct ReloadRow: Equatable {
    var id: Int
    var cluster: String
    var seq: Seq
    var logTime: Int64
    var previousVersion: String?
    var version: String
    var causes: String
    var diff: String

    init(_ reload: Reload) {
        id = reload.id
        cluster = reload.cluster
        seq = reload.seq
        logTime = reload.logTime.nanosecondsSinceEpoch
        previousVersion = reload.previousVersion?.hex
        version = reload.version.hex
        causes = "[" + reload.causes.map(String.init).joined(separator: ",") + "]"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        reload.diff.writeJSON(into: &bytes)
        diff = String(decoding: bytes, as: UTF8.self)
    }

    init(_ row: Row) {
        id = row["id"]
        cluster = row["cluster"]
        seq = row["seq"]
        logTime = row["log_time"]
        previousVersion = row["previous_version"]
        version = row["version"]
        causes = row["causes"]
        diff = row["diff"]
    }

    var summary: String { "(cluster \"\(cluster)\", seq \(seq), version \(version.prefix(12)), causes \(causes))" }
}
