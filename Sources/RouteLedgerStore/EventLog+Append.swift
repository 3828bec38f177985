import Foundation
import RouteLedgerCore
import RouteLedgerJSON

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
    /// What in the stored events' times deserves the operator's attention (nothing: all zero).
    public var timeNotes = TimeNotes()
}

/// Times in an append that move or hide the log's clock. Neither is refused (the log keeps what it was
/// given), but each is worth a warning: `--at` resolves through log time.
public struct TimeNotes: Sendable, Equatable {
    /// Events without a `time` after an event of the same input that had one: each got the time it was
    /// recorded, which becomes the log time of every later event whose own time is earlier.
    public var untimedAfterTimed = 0
    /// Where the first of them is in the input.
    public var firstUntimed: DocumentLocation?
    /// Events whose time is before the log time they got (the log time of an earlier event): a query by
    /// time finds them at their log time.
    public var behindLogTime = 0
    /// Where the first of them is, and by how much its time is behind (nanoseconds).
    public var firstBehind: (location: DocumentLocation?, by: Int64)?

    public init() {}

    public var isEmpty: Bool { untimedAfterTimed == 0 && behindLogTime == 0 }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.untimedAfterTimed == rhs.untimedAfterTimed && lhs.firstUntimed == rhs.firstUntimed && lhs.behindLogTime == rhs.behindLogTime
            && lhs.firstBehind?.location == rhs.firstBehind?.location && lhs.firstBehind?.by == rhs.firstBehind?.by
    }
}

extension EventLog {
    /// Appends JSON Lines or a JSON array atomically: every event is stored, or none is.
    ///
    /// - Parameter progress: called with the number of events processed so far, every 10,000 events.
    /// - Throws: ``StoreError`` naming the line (or index), field and reason of the first bad event.
    public func append(contentsOf bytes: [UInt8], progress: ((Int) -> Void)? = nil) throws -> AppendResult {
        let aside = parallelProjection && bytes.count >= Self.parallelThreshold
        return try write(projectingAside: aside) { batch in
            try bytes.withUnsafeBytes { buffer in
                try JSONParser.forEachDocument(in: buffer, reading: { reader, location in
                    let event: IncomingEvent
                    do {
                        event = try EventDecoder.decode(&reader, at: location)
                    } catch {
                        // The events before a bad one are checked first: the error names the first bad event.
                        try batch.flush()
                        throw error
                    }
                    try batch.append(event)
                    if let progress, batch.processed % 10_000 == 0 { progress(batch.processed) }
                })
            }
        }
    }

    /// Inputs at least this large (bytes) have their reload projection run on a second thread.
    static let parallelThreshold = 64 * 1024

    /// Appends already validated events atomically.
    public func append(_ events: [IncomingEvent]) throws -> AppendResult {
        try write(projectingAside: false) { batch in
            for event in events { try batch.append(event) }
        }
    }

    private func write(projectingAside: Bool, _ body: (inout AppendBatch) throws -> Void) throws -> AppendResult {
        let recordedAt = clock()
        let blockSize = engine.appendBlockSize
        do {
            let (result, projection) = try writeTransaction { connection in
                var batch = try AppendBatch(connection, recordedAt: recordedAt, cache: cache, blockSize: blockSize)
                if projectingAside { batch.projectAside() }
                defer { batch.closePipeline() }
                try body(&batch)
                return try batch.finish()
            }
            // Only a committed projection is kept for the next append.
            cache.store(projection, at: result.lastSeq)
            logger.debug("appended", metadata: ["appended": "\(result.appended)", "duplicates": "\(result.duplicates)",
                                                "lastSeq": "\(result.lastSeq)"])
            return result
        } catch {
            throw engine.map(error)
        }
    }
}

/// One append transaction: the chain head, the events decoded but not yet stored, and what was stored so far.
///
/// Events are stored in blocks: the block's ids are looked up in one query (a stored id is a duplicate or a
/// conflict, never a new row), the new events are numbered and chained here, and stored in one call of the
/// engine. The reload projection follows every stored event, on this thread or, for large appends, on a
/// second one (``ProjectionPipeline``); its records go in the same transaction.
struct AppendBatch {
    private let connection: any StoreConnection
    private let recordedAt: Timestamp
    private let blockSize: Int
    private var seq: Seq
    private var logTime: Timestamp
    private var hash: [UInt8]
    /// The hash input, reused from event to event.
    private var scratch: [UInt8] = []
    /// Decoded events waiting for their block to be stored.
    private var block: [IncomingEvent] = []
    /// The reload projection, advanced with every stored event; nil while a pipeline holds it.
    private var projection: ReloadProjection
    private var pipeline: ProjectionPipeline?
    private var snapshots: SnapshotWriter
    private(set) var result: AppendResult
    /// Input events decoded so far.
    private(set) var processed = 0
    /// Whether an event of this input had a time of its own.
    private var sawTime = false

    init(_ connection: any StoreConnection, recordedAt: Timestamp, cache: ProjectionCache, blockSize: Int) throws {
        self.connection = connection
        self.recordedAt = recordedAt
        self.blockSize = blockSize
        if let head = try connection.rows("SELECT seq, log_time, hash FROM events ORDER BY seq DESC LIMIT 1", []).first {
            seq = try head.int(0)
            logTime = Timestamp(nanosecondsSinceEpoch: try head.int(1))
            hash = try head.bytes(2)
        } else {
            seq = 0
            logTime = Timestamp(nanosecondsSinceEpoch: .min)
            hash = EventHash.genesis
        }
        result = AppendResult(appended: 0, duplicates: 0, positions: [], lastSeq: seq)
        projection = try EventLog.projection(connection, cache: cache, head: seq)
        snapshots = try SnapshotWriter(connection)
    }

    /// Starts projecting this batch's events on a second thread (see ``ProjectionPipeline``).
    mutating func projectAside() {
        pipeline = ProjectionPipeline(projection: projection, snapshotEvery: snapshots.every, lastSnapshot: snapshots.last)
        projection = ReloadProjection(settings: projection.settings, tracksEffects: false)
    }

    /// Stops the projection thread, if any (after a failure; ``finish()`` has already stopped it otherwise).
    func closePipeline() { pipeline?.close() }

    mutating func append(_ event: IncomingEvent) throws {
        block.append(event)
        processed += 1
        if block.count >= blockSize { try flush() }
    }

    /// Stores the events decoded so far; returns what was appended and the projection after it.
    mutating func finish() throws -> (AppendResult, ReloadProjection) {
        try flush()
        if let pipeline {
            let (outputs, final) = pipeline.finish()
            try write(outputs)
            projection = final
        }
        try connection.execute("UPDATE projection_state SET value = ? WHERE key = 'checkpoint'", .integer(seq))
        return (result, projection)
    }

    /// Stores the decoded events: duplicates resolved, new ones numbered, chained, inserted and projected.
    mutating func flush() throws {
        guard !block.isEmpty else { return }
        let events = block.map { event -> (IncomingEvent, String) in (event, event.id ?? UUID().uuidString.lowercased()) }
        block.removeAll(keepingCapacity: true)
        let stored = try connection.storedEvents(ids: events.compactMap { $0.0.id })
        // Ids stored earlier in this block: the data shares the event's buffer, no copy on the hot path.
        var inBlock: [String: (seq: Seq, type: String, data: [UInt8])] = [:]
        var rows: [EventRow] = []
        var recorded: [RecordedEvent] = []
        rows.reserveCapacity(events.count)
        for (event, id) in events {
            let type = event.type.rawValue
            if let earlier = inBlock[id] ?? stored[id].map({ ($0.seq, $0.type, Array($0.data.utf8)) }) {
                try resolveDuplicate(id: id, type: type, data: event.data, stored: earlier, location: event.location)
                continue
            }
            let time = event.time ?? recordedAt
            let nextSeq = seq + 1
            let nextLogTime = max(time, logTime)
            noteTimes(event, time: time, logTime: nextLogTime)
            let nextHash = EventHash.chain(previous: hash, seq: nextSeq, id: id, type: type, time: time,
                                           logTime: nextLogTime, recordedAt: recordedAt, data: event.data, meta: event.meta,
                                           scratch: &scratch)
            rows.append(EventRow(seq: nextSeq, id: id, type: type, time: time.nanosecondsSinceEpoch,
                                 logTime: nextLogTime.nanosecondsSinceEpoch, recordedAt: recordedAt.nanosecondsSinceEpoch,
                                 data: event.data, meta: event.meta, hash: nextHash))
            if event.id != nil { inBlock[id] = (nextSeq, type, event.data) }
            seq = nextSeq
            logTime = nextLogTime
            hash = nextHash
            result.appended += 1
            result.positions.append(nextSeq)
            result.lastSeq = nextSeq
            recorded.append(RecordedEvent(seq: nextSeq, id: id, time: time, logTime: nextLogTime, event: event.event))
        }
        try connection.insert(events: rows)
        try project(recorded)
    }

    private mutating func noteTimes(_ event: IncomingEvent, time: Timestamp, logTime: Timestamp) {
        if event.time == nil {
            if sawTime && event.type != .configChanged {
                if result.timeNotes.untimedAfterTimed == 0 { result.timeNotes.firstUntimed = event.location }
                result.timeNotes.untimedAfterTimed += 1
            }
        } else {
            sawTime = true
        }
        if time < logTime && event.type != .configChanged {
            if result.timeNotes.behindLogTime == 0 {
                result.timeNotes.firstBehind = (event.location, logTime.nanosecondsSinceEpoch - time.nanosecondsSinceEpoch)
            }
            result.timeNotes.behindLogTime += 1
        }
    }

    private mutating func project(_ recorded: [RecordedEvent]) throws {
        if let pipeline {
            pipeline.submit(recorded)
            try write(pipeline.ready())
            return
        }
        var reloads: [ReloadRow] = []
        for event in recorded {
            reloads += projection.apply(event).reloads.map(ReloadRow.init)
            try snapshots.consider(projection, at: event.seq)
        }
        try connection.insert(reloads: reloads)
    }

    private mutating func write(_ outputs: [ProjectionPipeline.Output]) throws {
        for output in outputs {
            try connection.insert(reloads: output.rows)
            for snapshot in output.snapshots { try snapshots.insert(snapshot.bytes, at: snapshot.seq) }
        }
    }

    /// Same id, same type and data (JSON-equal: member order and spacing aside): a no-op returning the
    /// stored position. Otherwise a conflict.
    private mutating func resolveDuplicate(id: String, type: String, data: [UInt8], stored: (seq: Seq, type: String, data: [UInt8]),
                                           location: DocumentLocation?) throws {
        guard stored.type == type, stored.data == data || Self.sameJSON(stored.data, data) else {
            throw StoreError.conflict(id: id, storedSeq: stored.seq, location: location)
        }
        result.duplicates += 1
        result.positions.append(stored.seq)
    }
}

extension AppendBatch {
    static func sameJSON(_ stored: [UInt8], _ given: [UInt8]) -> Bool {
        guard let a = try? JSONParser.parse(stored), let b = try? JSONParser.parse(given) else { return false }
        return a.isEquivalent(to: b)
    }
}
