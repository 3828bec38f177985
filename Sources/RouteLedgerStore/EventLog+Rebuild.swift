import Foundation
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
    /// How many events were replayed: the whole log, as it stood when opened.
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
    /// Recomputes every projection from the log, in one transaction. Returns the number of reloads.
    @discardableResult
    public func rebuild() throws -> Int {
        try writeProjections { connection in try rebuildProjections(connection) }
        return try reloadCount()
    }

    /// How many reload records the log holds.
    func reloadCount() throws -> Int {
        try read { connection in Int(try connection.int("SELECT count(*) FROM reloads") ?? 0) }
    }

    /// Replays the whole log and compares the reloads it gives with the stored ones.
    ///
    /// - Returns: the first difference, in words, or nil when every stored record matches.
    public func verifyProjections() throws -> String? {
        try read { connection in
            var projection = ReloadProjection(settings: try Self.baseSettings(connection), tracksEffects: false)
            // The stored records are read a page at a time beside the replay: memory stays bounded.
            var page: [ReloadRow] = []
            var next = 0
            var lastID: Int64 = 0
            func nextStored() throws -> ReloadRow? {
                if next == page.count {
                    page = try connection.rows("SELECT \(reloadColumns) FROM reloads WHERE id > ? ORDER BY id LIMIT 1000",
                                               [.integer(lastID)]).map(ReloadRow.init)
                    next = 0
                    guard let last = page.last else { return nil }
                    lastID = Int64(last.id)
                }
                next += 1
                return page[next - 1]
            }
            var difference: String?
            let checkpoint = try Self.checkpoint(connection)
            try connection.stream("SELECT \(recordedEventColumns) FROM events WHERE seq <= ? ORDER BY seq", [.integer(checkpoint)]) { row in
                for expected in projection.apply(try Self.recordedEvent(row)).reloads.map(ReloadRow.init) {
                    guard let actual = try nextStored() else {
                        difference = "reload \(expected.id) is missing from the store"
                        return false
                    }
                    if actual != expected {
                        difference = "reload \(expected.id) differs: stored \(actual.summary), replay gives \(expected.summary)"
                        return false
                    }
                }
                return true
            }
            if let difference { return difference }
            if let extra = try nextStored() { return "reload \(extra.id) is stored but the replay gives no such reload" }
            return try Self.verifySnapshots(connection)
        }
    }

    /// Replays the log and compares the snapshots it would take with the stored ones.
    private static func verifySnapshots(_ connection: any StoreConnection) throws -> String? {
        let stored = try connection.rows("SELECT seq, state FROM snapshots ORDER BY seq", []).map { (try $0.int(0), try $0.bytes(1)) }
        var projection = ReloadProjection(settings: try baseSettings(connection), tracksEffects: false)
        let every = try snapshotEvery(connection)
        var expected: [(Seq, [UInt8])] = []
        var last: Seq = 0
        try connection.forEach("SELECT \(recordedEventColumns) FROM events WHERE seq <= ? ORDER BY seq",
                               [.integer(try checkpoint(connection))]) { row in
            let event = try recordedEvent(row)
            _ = projection.apply(event)
            if event.seq - last >= every, let bytes = projection.snapshot() {
                expected.append((event.seq, bytes))
                last = event.seq
            }
        }
        for (i, (seq, state)) in stored.enumerated() {
            guard i < expected.count, expected[i].0 == seq else { return "snapshot at seq \(seq) is not one a replay takes" }
            if state != expected[i].1 { return "snapshot at seq \(seq) differs from a replay" }
        }
        if stored.count < expected.count { return "snapshot at seq \(expected[stored.count].0) is missing" }
        return nil
    }

    /// The version of the routing rules the stored projections follow (``RoutingRules``).
    public func rulesVersion() throws -> Int {
        try read { connection in try Self.rulesVersion(connection) }
    }

    /// Brings the projections up to the end of the log (after a migration from a schema without them) and to
    /// this build's routing rules.
    ///
    /// - Returns: the rebuild that rules of another version made necessary, when the log holds events.
    func catchUpProjections() throws -> ProjectionUpgrade? {
        let (behind, rules, last) = try read { connection in
            let last = try Self.lastSeq(connection)
            return (try Self.checkpoint(connection) < last, try Self.rulesVersion(connection), last)
        }
        if rules != RoutingRules.version {
            let start = ContinuousClock.now
            var rebuilt = false
            try writeProjections { connection in
                // Another process may have rebuilt them while this one waited for the write lock.
                guard try Self.rulesVersion(connection) != RoutingRules.version else { return }
                try rebuildProjections(connection)
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
            try writeProjections { connection in try rebuildProjections(connection) }
        }
        return nil
    }

    func writeProjections(_ body: (any StoreConnection) throws -> Void) throws {
        cache.invalidate()
        try writeTransaction(body)
    }

    static func lastSeq(_ connection: any StoreConnection) throws -> Seq {
        try connection.int("SELECT max(seq) FROM events") ?? 0
    }

    /// Recomputes the reload records and snapshots inside the caller's write transaction. Events are read and
    /// decoded on one thread (``ReplayPipeline``), folded on another (``ProjectionPipeline``), and written on
    /// this one.
    func rebuildProjections(_ connection: any StoreConnection) throws {
        try connection.execute("DELETE FROM reloads")
        try connection.execute("DELETE FROM snapshots")
        var snapshots = try SnapshotWriter(connection)
        let last = try Self.lastSeq(connection)
        // Three stages: the reader decodes, the projection folds, this thread writes.
        let reader = ReplayPipeline(engine: engine, after: 0, through: last)
        defer { reader.close() }
        let projector = ProjectionPipeline(projection: ReloadProjection(settings: try Self.baseSettings(connection), tracksEffects: false),
                                           snapshotEvery: snapshots.every, lastSnapshot: snapshots.last)
        defer { projector.close() }
        func write(_ outputs: [ProjectionPipeline.Output]) throws {
            for output in outputs {
                try connection.insert(reloads: output.rows)
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
        try connection.execute("UPDATE projection_state SET value = ? WHERE key = 'checkpoint'", .integer(last))
        try connection.execute("""
            INSERT INTO projection_state (key, value) VALUES ('rulesVersion', ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, .integer(Int64(RoutingRules.version)))
    }

    /// The projection as of the end of the log, inside a write transaction: from this process's cache, caught
    /// up with events other writers appended since (their projection rows are already stored).
    static func projection(_ connection: any StoreConnection, cache: ProjectionCache, head: Seq) throws -> ReloadProjection {
        // Settings change only through events, which the catch-up below folds: the cache is stale only when it
        // is ahead (its append was rolled back after another process's).
        var (projection, seq) = try cache.take() ?? startingPoint(connection, atOrBefore: head, tracksEffects: false)
        if seq > head {
            (projection, seq) = try startingPoint(connection, atOrBefore: head, tracksEffects: false)
        }
        if seq < head {
            try connection.forEach("SELECT \(recordedEventColumns) FROM events WHERE seq > ? ORDER BY seq", [.integer(seq)]) { row in
                _ = projection.apply(try recordedEvent(row))
            }
        }
        return projection
    }
}

extension EventLog {
    /// The reload projection to start a replay from: the latest readable snapshot at or before `seq`, or
    /// the empty projection.
    static func startingPoint(_ connection: any StoreConnection, atOrBefore seq: Seq, tracksEffects: Bool) throws -> (ReloadProjection, Seq) {
        let found = try latestSnapshot(connection, atOrBefore: seq) { state, snapshotSeq in
            try ReloadProjection(snapshot: state, settings: try settings(connection, at: snapshotSeq), tracksEffects: tracksEffects)
        }
        if let found { return found }
        return (ReloadProjection(settings: try baseSettings(connection), tracksEffects: tracksEffects), 0)
    }

    /// The routing to start a routing query from: the latest readable snapshot at or before `seq`.
    static func routingStartingPoint(_ connection: any StoreConnection, atOrBefore seq: Seq) throws -> (RoutingProjection, Seq) {
        try latestSnapshot(connection, atOrBefore: seq) { state, _ in try ReloadProjection.routing(fromSnapshot: state) } ?? (RoutingProjection(), 0)
    }

    /// The newest snapshot at or before `seq` that `load` can read (of this build's format), loaded.
    private static func latestSnapshot<T>(_ connection: any StoreConnection, atOrBefore seq: Seq,
                                          _ load: ([UInt8], Seq) throws -> T) throws -> (T, Seq)? {
        // Read first, loaded after: a load may query the connection, which a stream holds.
        let candidates = try connection.rows("SELECT seq, format, state FROM snapshots WHERE seq <= ? ORDER BY seq DESC LIMIT 3",
                                             [.integer(seq)])
        for row in candidates {
            let snapshotSeq = try row.int(0)
            guard try row.int(1) == Int64(ClusterState.snapshotVersion), let loaded = try? load(try row.bytes(2), snapshotSeq) else { continue }
            return (loaded, snapshotSeq)
        }
        return nil
    }
}
