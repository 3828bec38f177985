import Foundation
import GRDB
import RouteLedgerCore

/// What an append did.
public struct AppendResult: Sendable, Equatable {
    /// Events newly stored.
    public var appended: Int
    /// Events whose id was already stored with the same type and data (no-ops).
    public var duplicates: Int
    /// The position of each input event, in input order: newly stored or already stored.
    public var positions: [Seq]
    /// The last position in the log after the append.
    public var lastSeq: Seq
}

extension EventLog {
    /// Appends JSON Lines or a JSON array atomically: every event is stored, or none is.
    ///
    /// - Parameter progress: called with the number of events processed so far, every 10,000 events.
    /// - Throws: ``StoreError`` naming the line (or index), field and reason of the first bad event.
    public func append(contentsOf bytes: [UInt8], progress: ((Int) -> Void)? = nil) throws -> AppendResult {
        if parallelProjection && bytes.count >= Self.parallelThreshold {
            return try appendProjectingAside(bytes, progress: progress)
        }
        return try write { batch in
            try bytes.withUnsafeBytes { buffer in
                try JSONParser.forEachDocument(in: buffer, reading: { reader, location in
                    try batch.append(try EventDecoder.decode(&reader, at: location))
                    if let progress, batch.processed % 10_000 == 0 { progress(batch.processed) }
                })
            }
        }
    }

    /// Inputs at least this large (bytes) have their reload projection run on a second thread.
    static let parallelThreshold = 64 * 1024

    /// The same append, with the reload projection running on a second thread (``ProjectionPipeline``).
    private func appendProjectingAside(_ bytes: [UInt8], progress: ((Int) -> Void)?) throws -> AppendResult {
        try write { batch in
            let pipeline = batch.projectAside()
            defer { pipeline.close() }
            try bytes.withUnsafeBytes { buffer in
                try JSONParser.forEachDocument(in: buffer, reading: { reader, location in
                    try batch.append(try EventDecoder.decode(&reader, at: location), projectingWith: pipeline)
                    if let progress, batch.processed % 10_000 == 0 { progress(batch.processed) }
                })
            }
            try batch.finishProjecting(pipeline)
        }
    }

    /// Appends already validated events atomically.
    public func append(_ events: [IncomingEvent]) throws -> AppendResult {
        try write { batch in
            for event in events { try batch.append(event) }
        }
    }

    private func write(_ body: (inout AppendBatch) throws -> Void) throws -> AppendResult {
        let recordedAt = clock()
        do {
            let (result, projection) = try writeTransaction { db in
                var batch = try AppendBatch(db, recordedAt: recordedAt, cache: cache)
                try body(&batch)
                return try batch.finish()
            }
            // Only a committed projection is kept for the next append.
            cache.store(projection, at: result.lastSeq)
            logger.debug("appended", metadata: ["appended": "\(result.appended)", "duplicates": "\(result.duplicates)",
                                                "lastSeq": "\(result.lastSeq)"])
            return result
        } catch {
            throw Self.map(error, path: path)
        }
    }
}

/// One append transaction: the chain head, the prepared insert, and what was stored so far.
struct AppendBatch {
    private let db: Database
    private let insert: RawStatement
    private let recordedAt: Timestamp
    private var seq: Seq
    private var logTime: Timestamp
    private var hash: [UInt8]
    /// The hash input, reused from event to event.
    private var scratch: [UInt8] = []
    /// The reload projection, advanced with every stored event; its records go in the same transaction.
    private var projection: ReloadProjection
    /// Stored events not yet handed to the projection thread (large appends only).
    private var pending: [RecordedEvent] = []
    private let reloads: ReloadWriter
    private var snapshots: SnapshotWriter
    private(set) var result: AppendResult

    var processed: Int { result.positions.count }

    init(_ db: Database, recordedAt: Timestamp, cache: ProjectionCache) throws {
        self.db = db
        self.recordedAt = recordedAt
        insert = try RawStatement(db, """
            INSERT INTO events (seq, id, type, time, log_time, recorded_at, data, meta, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        if let head = try Row.fetchOne(db, sql: "SELECT seq, log_time, hash FROM events ORDER BY seq DESC LIMIT 1") {
            seq = head["seq"]
            logTime = Timestamp(nanosecondsSinceEpoch: head["log_time"])
            hash = [UInt8](head["hash"] as Data)
        } else {
            seq = 0
            logTime = Timestamp(nanosecondsSinceEpoch: .min)
            hash = EventHash.genesis
        }
        result = AppendResult(appended: 0, duplicates: 0, positions: [], lastSeq: seq)
        projection = try EventLog.projection(db, cache: cache, head: seq)
        reloads = try ReloadWriter(db)
        snapshots = try SnapshotWriter(db)
    }

    /// Records the projection checkpoint; returns what was appended and the projection after it.
    func finish() throws -> (AppendResult, ReloadProjection) {
        try db.execute(sql: "UPDATE projection_state SET value = ? WHERE key = 'checkpoint'", arguments: [seq])
        return (result, projection)
    }

    mutating func append(_ event: IncomingEvent) throws {
        guard let recorded = try store(event) else { return }
        for reload in projection.apply(recorded).reloads { try reloads.insert(reload) }
        try snapshots.consider(projection, at: recorded.seq)
    }

    // MARK: - The projection on a second thread

    /// Starts projecting this batch's events on a second thread (see ``ProjectionPipeline``).
    mutating func projectAside() -> ProjectionPipeline {
        let moved = projection
        projection = ReloadProjection(settings: moved.settings, tracksEffects: false)
        return ProjectionPipeline(projection: moved, snapshotEvery: snapshots.every, lastSnapshot: snapshots.last)
    }

    /// Stores `event` and queues it for the projection thread; writes what the projection has finished.
    mutating func append(_ event: IncomingEvent, projectingWith pipeline: ProjectionPipeline) throws {
        guard let recorded = try store(event) else { return }
        pending.append(recorded)
        if pending.count == ProjectionPipeline.blockSize {
            pipeline.submit(pending)
            pending.removeAll(keepingCapacity: true)
            try write(pipeline.ready())
        }
    }

    /// Waits for the projection of the last events, writes it, and takes the projection back.
    mutating func finishProjecting(_ pipeline: ProjectionPipeline) throws {
        pipeline.submit(pending)
        pending.removeAll()
        let (outputs, final) = pipeline.finish()
        try write(outputs)
        projection = final
    }

    private mutating func write(_ outputs: [ProjectionPipeline.Output]) throws {
        for output in outputs {
            for row in output.rows { try reloads.insert(row) }
            for snapshot in output.snapshots { try snapshots.insert(snapshot.bytes, at: snapshot.seq) }
        }
    }

    /// Inserts `event` as the next event and advances the chain; nil for a duplicate (counted, not stored).
    private mutating func store(_ event: IncomingEvent) throws -> RecordedEvent? {
        let id = event.id ?? UUID().uuidString.lowercased()
        let type = event.type.rawValue
        let data = event.data
        let meta = event.meta
        let time = event.time ?? recordedAt
        let nextSeq = seq + 1
        let nextLogTime = max(time, logTime)
        let nextHash = EventHash.chain(previous: hash, seq: nextSeq, id: id, type: type, time: time,
                                       logTime: nextLogTime, recordedAt: recordedAt, data: data, meta: meta,
                                       scratch: &scratch)
        insert.bind(1, nextSeq)
        insert.bind(2, text: id)
        insert.bind(3, text: type)
        insert.bind(4, time.nanosecondsSinceEpoch)
        insert.bind(5, nextLogTime.nanosecondsSinceEpoch)
        insert.bind(6, recordedAt.nanosecondsSinceEpoch)
        insert.bind(7, text: data)
        if let meta { insert.bind(8, text: meta) } else { insert.bindNull(8) }
        insert.bind(9, blob: nextHash)
        let code = insert.run()
        if code == SQLITE_CONSTRAINT_UNIQUE_CODE {
            try resolveDuplicate(id: id, type: type, data: data, location: event.location)
            return nil
        }
        guard code == 0 else { throw insert.error(code) }
        seq = nextSeq
        logTime = nextLogTime
        hash = nextHash
        result.appended += 1
        result.positions.append(nextSeq)
        result.lastSeq = nextSeq
        return RecordedEvent(seq: nextSeq, id: id, time: time, logTime: nextLogTime, event: event.event)
    }

    /// Same id, same type and data (JSON-equal: member order and spacing aside): a no-op returning the
    /// stored position. Otherwise a conflict.
    private mutating func resolveDuplicate(id: String, type: String, data: [UInt8], location: DocumentLocation?) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, type, data FROM events WHERE id = ?", arguments: [id]) else {
            throw StoreError.database(path: db.description, message: "unique constraint failed for event id \(id), but no such event is stored")
        }
        let storedSeq: Seq = row["seq"]
        let storedType: String = row["type"]
        let storedData: String = row["data"]
        guard storedType == type, Array(storedData.utf8) == data || Self.sameJSON(storedData, data) else {
            throw StoreError.conflict(id: id, storedSeq: storedSeq, location: location)
        }
        result.duplicates += 1
        result.positions.append(storedSeq)
    }
}

extension AppendBatch {
    static func sameJSON(_ stored: String, _ given: [UInt8]) -> Bool {
        guard let a = try? JSONParser.parse(Array(stored.utf8)), let b = try? JSONParser.parse(given) else { return false }
        return a.isEquivalent(to: b)
    }
}

/// SQLITE_CONSTRAINT_UNIQUE: (SQLITE_CONSTRAINT | (8<<8)).
private let SQLITE_CONSTRAINT_UNIQUE_CODE: Int32 = 19 | (8 << 8)
