import RouteLedgerCore

/// What a copy did.
public struct CopyResult: Sendable, Equatable {
    /// Events the target held already (a prefix of the source's).
    public var alreadyPresent: Seq
    /// Events copied.
    public var copied: Seq
    /// The target's last position afterwards.
    public var lastSeq: Seq
    /// Reload records on the target after its rebuild.
    public var reloads: Int
}

extension EventLog {
    /// Copies the events of `source` that this log lacks, in order, with their ids, times, recorded times and
    /// hashes, then rebuilds this log's projections (with this log's reload settings).
    ///
    /// This log must be empty or hold a prefix of `source` (the same hash at its last position): then the
    /// copy continues after it, so a copy that was interrupted, or one repeated later, sends only what is new.
    /// The source's hash chain is checked as it is read; a source that fails it is not copied further.
    /// Events go in transactions of `chunk` events: an interrupted copy keeps whole chunks.
    ///
    /// - Parameter progress: called after each chunk with the events copied so far and the number to copy.
    /// - Throws: ``CopyError`` when this log is not a prefix of the source, or the source's chain is broken;
    ///   ``StoreError`` when either database fails.
    public func copy(from source: EventLog, chunk: Int = 10_000, progress: ((Seq, Seq) -> Void)? = nil) throws -> CopyResult {
        let (start, startHash) = try read { connection -> (Seq, [UInt8]) in
            guard let head = try connection.rows("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", []).first else {
                return (0, EventHash.genesis)
            }
            return (try head.int(0), try head.bytes(1))
        }
        var copied: Seq = 0
        try source.read { connection in
            let sourceLast = try Self.lastSeq(connection)
            if start > 0 {
                guard start <= sourceLast else {
                    throw CopyError.notAPrefix("\(path) holds \(start) events, more than the \(sourceLast) of \(source.path)")
                }
                let sourceHash = try connection.rows("SELECT hash FROM events WHERE seq = ?", [.integer(start)]).first?.bytes(0)
                guard sourceHash == startHash else {
                    throw CopyError.notAPrefix("\(path) is not empty and its event \(start) differs from the source's (hash \(startHash.hexString.prefix(12)) here, \(sourceHash?.hexString.prefix(12) ?? "none") there)")
                }
            }
            let total = sourceLast - start
            var previous = startHash
            var block: [EventRow] = []
            block.reserveCapacity(chunk)
            func flush() throws {
                guard !block.isEmpty else { return }
                let first = block[0].seq
                try writeTransaction { target in
                    let head = try Self.lastSeq(target)
                    guard head == first - 1 else {
                        throw CopyError.targetChanged("\(path) was appended to during the copy (its last event is \(head), expected \(first - 1))")
                    }
                    try target.insert(events: block)
                }
                copied += Seq(block.count)
                block.removeAll(keepingCapacity: true)
                progress?(copied, total)
            }
            var scratch: [UInt8] = []
            try connection.forEach("SELECT \(storedEventColumns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                                   [.integer(start), .integer(sourceLast)]) { row in
                let event = EventRow(seq: try row.int(0), id: try row.text(1), type: try row.text(2), time: try row.int(3),
                                     logTime: try row.int(4), recordedAt: try row.int(5), data: Array(try row.text(6).utf8),
                                     meta: try row.optionalText(7).map { Array($0.utf8) }, hash: try row.bytes(8))
                let expectedSeq = start + copied + Seq(block.count) + 1
                guard event.seq == expectedSeq else {
                    throw CopyError.brokenSource("\(source.path): expected seq \(expectedSeq), found \(event.seq) (run `routeledger verify` on it)")
                }
                let hash = EventHash.chain(previous: previous, seq: event.seq, id: event.id, type: event.type,
                                           time: Timestamp(nanosecondsSinceEpoch: event.time), logTime: Timestamp(nanosecondsSinceEpoch: event.logTime),
                                           recordedAt: Timestamp(nanosecondsSinceEpoch: event.recordedAt), data: event.data, meta: event.meta,
                                           scratch: &scratch)
                guard hash == event.hash else {
                    throw CopyError.brokenSource("\(source.path): the hash chain breaks at seq \(event.seq) (run `routeledger verify` on it)")
                }
                previous = hash
                block.append(event)
                if block.count == chunk { try flush() }
            }
            try flush()
        }
        let reloads = copied > 0 || start == 0 ? try rebuild() : try reloadCount()
        return CopyResult(alreadyPresent: start, copied: copied, lastSeq: start + copied, reloads: reloads)
    }
}

/// Why a copy stopped.
public enum CopyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The target holds events that are not the source's first ones.
    case notAPrefix(String)
    /// The source's positions or hash chain are broken.
    case brokenSource(String)
    /// Another writer appended to the target while the copy ran.
    case targetChanged(String)

    public var description: String {
        switch self {
        case .notAPrefix(let reason): return "refusing to copy: \(reason); copy into an empty log, or one that holds a prefix of the source"
        case .brokenSource(let reason): return "refusing to copy further: \(reason)"
        case .targetChanged(let reason): return "the copy stopped: \(reason); run it again to continue"
        }
    }
}
