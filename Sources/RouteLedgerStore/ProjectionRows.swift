import Foundation
import RouteLedgerCore

/// Writes a snapshot every `snapshotEvery` events (at the first event after that where no settle window is
/// open).
struct SnapshotWriter {
    private let connection: any StoreConnection
    /// The snapshot interval, in events.
    let every: Seq
    /// The position of the newest snapshot.
    private(set) var last: Seq

    init(_ connection: any StoreConnection) throws {
        self.connection = connection
        every = try EventLog.snapshotEvery(connection)
        last = try connection.int("SELECT max(seq) FROM snapshots") ?? 0
    }

    mutating func consider(_ projection: ReloadProjection, at seq: Seq) throws {
        guard seq - last >= every, let bytes = projection.snapshot() else { return }
        try insert(bytes, at: seq)
    }

    /// Stores a snapshot taken elsewhere (by the projection thread of a large append).
    mutating func insert(_ bytes: [UInt8], at seq: Seq) throws {
        try connection.execute("INSERT INTO snapshots (seq, format, state) VALUES (?, ?, ?)",
                               .integer(seq), .integer(Int64(ClusterState.snapshotVersion)), .blob(bytes))
        last = seq
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

    /// A row selected as ``reloadColumns``.
    init(_ row: any StoreRow) throws {
        id = Int(try row.int(0))
        cluster = try row.text(1)
        seq = try row.int(2)
        logTime = try row.int(3)
        previousVersion = try row.optionalText(4)
        version = try row.text(5)
        causes = try row.text(6)
        diff = try row.text(7)
    }

    var summary: String { "(cluster \"\(cluster)\", seq \(seq), version \(version.prefix(12)), causes \(causes))" }
}
