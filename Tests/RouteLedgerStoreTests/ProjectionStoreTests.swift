import Foundation
import GRDB
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerSimulator
import Testing
@testable import RouteLedgerStore

/// The example scenarios of data/, as one input.
func scenarios() throws -> [UInt8] {
    let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data")
    var bytes: [UInt8] = []
    for name in ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl", "04-canary-vip.jsonl"] {
        bytes += try Data(contentsOf: data.appendingPathComponent(name))
    }
    return bytes
}

/// All stored reload rows, as text, in id order.
func storedRows(_ db: TemporaryDatabase) async throws -> [String] {
    try await db.query("SELECT * FROM reloads ORDER BY id")
}

@Suite("Reload projection in the store")
struct ProjectionStoreTests {
    @Test("reloads are written with the events, and match the pure projection", arguments: Engine.all)
    func inlineMatchesCore(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let input = try scenarios()
        _ = try log.append(contentsOf: input)
        var projection = ReloadProjection()
        var expected: [Reload] = []
        try log.replay { expected += projection.apply($0).reloads }
        let stored = try log.reloads()
        #expect(stored.map(\.id) == expected.map(\.id))
        #expect(stored.map(\.seq) == expected.map(\.seq))
        #expect(stored.map(\.version) == expected.map(\.version.hex))
        // demo.local: one reload (its vip service's creation); api.local: two (each vip service's creation);
        // shop.local: five task reloads.
        #expect(try log.reloads(ReloadFilter(host: "demo.local")).map(\.seq) == [6])
        #expect(try log.reloads(ReloadFilter(host: "api.local")).map(\.seq) == [23, 28])
        #expect(try log.reloads(ReloadFilter(host: "shop.local")).count == 5)
    }

    @Test("appending in pieces, from two processes, gives the same records as one append", arguments: Engine.all)
    func piecesAndProcesses(engine: Engine) async throws {
        let input = try scenarios()
        let whole = try await TemporaryDatabase(engine)
        _ = try whole.open().append(contentsOf: input)
        let pieces = try await TemporaryDatabase(engine)
        let first = try pieces.open(), second = try pieces.open()
        let lines = input.split(separator: UInt8(ascii: "\n"))
        for (i, line) in lines.enumerated() {
            _ = try (i % 3 == 0 ? first : second).append(contentsOf: Array(line))
        }
        #expect(try await storedRows(pieces) == storedRows(whole))
    }

    @Test("a refused append leaves no trace in the projection", arguments: Engine.all)
    func refusedAppend(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let input = try scenarios()
        let lines = input.split(separator: UInt8(ascii: "\n")).map(Array.init)
        _ = try log.append(contentsOf: Array(lines[0..<10].joined(separator: [UInt8(ascii: "\n")])))
        // The next batch applies a few events to the projection, then fails on a bad line.
        let bad = Array(lines[10..<14].joined(separator: [UInt8(ascii: "\n")])) + Array("\n{\"type\":\"task.removed\",\"data\":{}}".utf8)
        #expect(throws: StoreError.self) { try log.append(contentsOf: bad) }
        _ = try log.append(contentsOf: Array(lines[10...].joined(separator: [UInt8(ascii: "\n")])))
        let reference = try await TemporaryDatabase(engine)
        _ = try reference.open().append(contentsOf: input)
        #expect(try await storedRows(db) == storedRows(reference))
    }

    @Test("rebuild reproduces every reload record byte for byte; verify finds a changed one", arguments: Engine.all)
    func rebuildAndVerify(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: ChurnSimulator.lines(3_000, ChurnConfiguration(seed: 7, services: 20)))
        let before = try await storedRows(db)
        #expect(before.count > 100)
        #expect(try log.rebuild() == before.count)
        #expect(try await storedRows(db) == before)
        #expect(try log.verifyProjections() == nil)
        try await db.execute("UPDATE reloads SET version = 'forged' WHERE id = 42")
        #expect(try log.verifyProjections()?.hasPrefix("reload 42 differs") == true)
        try log.rebuild()
        #expect(try await storedRows(db) == before)
    }

    @Test("a settle window is an event: it coalesces from its position on, the reloads before it keep their ids, a rebuild agrees",
          arguments: Engine.all)
    func settleSetting(engine: Engine) async throws {
        let input = ChurnSimulator.lines(4_000, ChurnConfiguration(seed: 3, services: 10))
        let lines = input.split(separator: UInt8(ascii: "\n"))
        let (first, second) = (Array(lines[..<2_000].joined(separator: [10])), Array(lines[2_000...].joined(separator: [10])))
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: first)
        let before = try await storedRows(db)
        let settle = try log.setReloadSettings(ReloadSettings(settle: 2_000_000_000))
        #expect(settle.lastSeq == 2_001)
        #expect(try await storedRows(db) == before, "recording the setting changes no reload")
        #expect(try log.reloadSettings() == ReloadSettings(settle: 2_000_000_000))
        #expect(try log.explain(seq: 2_001)?.effect == .absorbed("reload settings from here on: settle 2s, max wait 20s; reloads before it keep their ids"))
        _ = try log.append(contentsOf: second)
        let after = try log.reloads()
        #expect(Array(try await storedRows(db).prefix(before.count)) == before)
        #expect(after.dropFirst(before.count).contains { $0.causes.count > 1 }, "coalesced after the setting")
        #expect(!after.prefix(before.count).contains { $0.causes.count > 1 }, "one reload per change before it")
        let rows = try await storedRows(db)
        try log.rebuild()
        #expect(try await storedRows(db) == rows, "a rebuild gives the same reloads, ids included")
        #expect(try log.verifyProjections() == nil)

        // Recorded first, it holds from the start: the same as appending with it in one go, or in pieces.
        let other = try await TemporaryDatabase(engine)
        let fresh = try other.open()
        try fresh.setReloadSettings(ReloadSettings(settle: 2_000_000_000))
        #expect(try fresh.events().first?.time == Timestamp(nanosecondsSinceEpoch: 0), "on an empty log it does not move the log's clock")
        _ = try fresh.append(contentsOf: first)
        _ = try fresh.append(contentsOf: second)
        #expect(try fresh.reloads().count < rows.count)
        #expect(try fresh.verifyProjections() == nil)
    }

    @Test("explain: a reload, or absorbed with its reason", arguments: Engine.all)
    func explain(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: try scenarios())
        #expect(try log.explain(seq: 6)?.effect == .reload([2]))
        #expect(try log.explain(seq: 7)?.effect == .absorbed("demo is in vip mode: task demo.1 leaves upstream 10.0.2.9:8080 unchanged"))
        #expect(try log.explain(seq: 11)?.effect == .absorbed("demo is in vip mode: replicas 4→6 leave upstream 10.0.2.9:8080 unchanged"))
        #expect(try log.explain(seq: 99) == nil)
    }

    @Test("a database from before the projections gets them on open", arguments: Engine.all)
    func migrationBuildsProjections(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: try scenarios())
        let rows = try await storedRows(db)
        // Pretend the projection never ran: no rows, checkpoint 0.
        try await db.execute("DELETE FROM reloads; UPDATE projection_state SET value = 0 WHERE key = 'checkpoint'")
        _ = try db.open()
        #expect(try await storedRows(db) == rows)
    }
}

extension EventExplanation: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.event == rhs.event && lhs.effect == rhs.effect }
}

/// Stored snapshots, as (seq, bytes).
func storedSnapshots(_ db: TemporaryDatabase) async throws -> [String] {
    try await db.query("SELECT seq, format, state FROM snapshots ORDER BY seq")
}

@Suite("Snapshots in the store")
struct SnapshotStoreTests {
    @Test("the routing at seq k from the nearest snapshot equals the fold of events 1…k", arguments: Engine.all, [UInt64(1), 2, 3])
    func pointInTime(engine: Engine, seed: UInt64) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        try log.setSnapshotInterval(250)
        _ = try log.append(contentsOf: ChurnSimulator.lines(2_500, ChurnConfiguration(seed: seed, services: 15)))
        #expect(try await storedSnapshots(db).count >= 8)
        var scratch = RoutingProjection()
        var checked = 0
        var events: [RecordedEvent] = []
        try log.replay { events.append($0) }
        for event in events {
            scratch.apply(event)
            if event.seq % 97 == 0 || event.seq % 250 == 0 || event.seq % 250 == 1 {
                let fromSnapshot = try log.projection(through: LogPoint(seq: event.seq, logTime: event.logTime))
                #expect(fromSnapshot.view == scratch.view, "seq \(event.seq)")
                #expect(fromSnapshot.state == scratch.state, "seq \(event.seq)")
                checked += 1
            }
        }
        #expect(checked > 30)
    }

    @Test("rebuild reproduces the snapshots byte for byte; appends in pieces take the same ones", arguments: Engine.all)
    func deterministicSnapshots(engine: Engine) async throws {
        let input = ChurnSimulator.lines(2_000, ChurnConfiguration(seed: 11, services: 12))
        let whole = try await TemporaryDatabase(engine)
        let log = try whole.open()
        try log.setSnapshotInterval(300)
        _ = try log.append(contentsOf: input)
        let snapshots = try await storedSnapshots(whole)
        #expect(snapshots.count >= 5)
        #expect(try log.verifyProjections() == nil)
        try log.rebuild()
        #expect(try await storedSnapshots(whole) == snapshots)

        let pieces = try await TemporaryDatabase(engine)
        let first = try pieces.open()
        try first.setSnapshotInterval(300)
        let second = try pieces.open()
        let lines = input.split(separator: UInt8(ascii: "\n"))
        for start in stride(from: 0, to: lines.count, by: 170) {
            let chunk = Array(lines[start..<min(start + 170, lines.count)].joined(separator: [UInt8(ascii: "\n")]))
            _ = try ((start / 170) % 2 == 0 ? first : second).append(contentsOf: chunk)
        }
        #expect(try await storedSnapshots(pieces) == snapshots)
        #expect(try await storedRows(pieces) == storedRows(whole))
    }

    @Test("a tampered snapshot is reported by verification", arguments: Engine.all)
    func tamperedSnapshot(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        try log.setSnapshotInterval(100)
        _ = try log.append(contentsOf: ChurnSimulator.lines(500, ChurnConfiguration(seed: 5, services: 5)))
        try await db.execute("UPDATE snapshots SET state = \(engine == .sqlite ? "X'7B7D'" : "decode('7b7d', 'hex')") WHERE seq = (SELECT min(seq) FROM snapshots)")
        #expect(try log.verifyProjections()?.contains("differs from a replay") == true)
    }
}

/// Random histories (ids that collide, tasks before services, invalid labels; the core's property tests
/// use the same generator) as JSON Lines.
func randomLog(seed: UInt64, events: Int) -> [[UInt8]] {
    var random = SeededRandom(seed: seed ^ 0x5EED)
    var history = RandomHistory(seed: seed)
    var second: Int64 = 1_795_773_600
    return (1...events).map { i in
        second += Int64.random(in: 0...2, using: &random)
        let event = history.next()
        let line = JSONValue.object([
            JSONMember("id", .string("r\(seed)-\(i)")), JSONMember("type", .string(event.type.rawValue)),
            JSONMember("time", .string(Timestamp(nanosecondsSinceEpoch: second * 1_000_000_000).rfc3339)),
            JSONMember("data", event.data),
        ]).formatted(pretty: false)
        return Array(line.utf8)
    }
}

@Suite("Projections over random histories")
struct RandomHistoryStoreTests {
    @Test("appended in random pieces, with or without a settle window, a rebuild reproduces every record and snapshot",
          arguments: Engine.all.flatMap { engine in
              [(engine, UInt64(1), Int64(0)), (engine, 2, 0), (engine, 3, 3_000_000_000), (engine, 4, 3_000_000_000)]
          })
    func rebuildReproduces(engine: Engine, seed: UInt64, settle: Int64) async throws {
        let lines = randomLog(seed: seed, events: 1_500)
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        try log.setSnapshotInterval(97)
        if settle > 0 { try log.setReloadSettings(ReloadSettings(settle: settle)) }
        var random = SeededRandom(seed: seed)
        var start = 0
        while start < lines.count {
            let end = min(lines.count, start + Int.random(in: 1...200, using: &random))
            _ = try log.append(contentsOf: Array(lines[start..<end].joined(separator: [UInt8(ascii: "\n")])))
            start = end
        }
        let rows = try await storedRows(db), snapshots = try await storedSnapshots(db)
        #expect(rows.count > 50)
        #expect(snapshots.count > 5)
        #expect(try log.verifyProjections() == nil)
        try log.rebuild()
        #expect(try await storedRows(db) == rows)
        #expect(try await storedSnapshots(db) == snapshots)

        // The routing at random points, from the nearest snapshot, equals the fold from scratch.
        var events: [RecordedEvent] = []
        try log.replay { events.append($0) }
        var scratch = RoutingProjection()
        var points = Set((0..<25).map { _ in Seq.random(in: 1...Seq(events.count), using: &random) })
        points.insert(Seq(events.count))
        for event in events {
            scratch.apply(event)
            guard points.contains(event.seq) else { continue }
            let restored = try log.projection(through: LogPoint(seq: event.seq, logTime: event.logTime))
            #expect(restored.state == scratch.state, "seed \(seed) seq \(event.seq)")
            #expect(restored.view == scratch.view, "seed \(seed) seq \(event.seq)")
        }
    }

    @Test("large appends project on a second thread, duplicates inside them included; a rebuild agrees",
          arguments: Engine.all.flatMap { engine in [(engine, UInt64(5), Int64(0)), (engine, 6, 3_000_000_000)] })
    func projectionAside(engine: Engine, seed: UInt64, settle: Int64) async throws {
        let lines = randomLog(seed: seed, events: 4_000)
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        try log.setSnapshotInterval(97)
        if settle > 0 { try log.setReloadSettings(ReloadSettings(settle: settle)) }
        var random = SeededRandom(seed: seed)
        var start = 0, duplicates = 0, large = 0
        while start < lines.count {
            let end = min(lines.count, start + Int.random(in: 400...900, using: &random))
            var piece = Array(lines[start..<end])
            // Every other piece repeats a few stored events somewhere in its middle.
            if start > 0 && Bool.random(using: &random) {
                let from = Int.random(in: 0..<start, using: &random)
                piece.insert(contentsOf: lines[from..<min(start, from + 5)], at: Int.random(in: 1..<piece.count, using: &random))
            }
            let bytes = Array(piece.joined(separator: [UInt8(ascii: "\n")]))
            if bytes.count >= EventLog.parallelThreshold { large += 1 }
            duplicates += try log.append(contentsOf: bytes).duplicates
            start = end
        }
        #expect(large >= 4, "pieces large enough for the second thread")
        #expect(duplicates > 0)
        #expect(try log.lastSeq() == (settle > 0 ? 4_001 : 4_000), "the events, and the setting before them")
        let rows = try await storedRows(db), snapshots = try await storedSnapshots(db)
        #expect(rows.count > 100)
        #expect(snapshots.count > 30)
        #expect(try log.verifyProjections() == nil)
        try log.rebuild()
        #expect(try await storedRows(db) == rows)
        #expect(try await storedSnapshots(db) == snapshots)
    }
}
