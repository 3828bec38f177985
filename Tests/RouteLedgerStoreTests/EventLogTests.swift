import Foundation
import GRDB
import RouteLedgerCore
import TestSupport
import Testing
@testable import RouteLedgerStore

/// The engines every store test runs on: SQLite always; PostgreSQL when its programs are installed (and
/// always with CI=true, where a server that cannot start fails the tests).
enum Engine: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var all: [Engine] { PostgresServer.shouldRun ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// A log of its own for one test: a SQLite file (removed when the test ends) or a fresh database on the
/// shared throwaway PostgreSQL server.
final class TemporaryDatabase {
    let engine: Engine
    /// The file path or the URL, as `--db` takes it.
    let path: String

    init(_ engine: Engine = .sqlite) async throws {
        self.engine = engine
        switch engine {
        case .sqlite:
            path = FileManager.default.temporaryDirectory.appendingPathComponent("routeledger-test-\(UUID().uuidString).db").path
        case .postgres:
            path = try await PostgresServer.shared().createDatabase()
        }
    }

    deinit {
        guard engine == .sqlite else { return }
        for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Opens the log with a fixed clock, so recording times are known.
    func open(create: Bool = true, now: Int64 = 1_000_000_000_000_000_000, lockTimeout: TimeInterval = 300) throws -> EventLog {
        try EventLog(path: path, options: StoreOptions(create: create, lockTimeout: lockTimeout), clock: { Timestamp(nanosecondsSinceEpoch: now) })
    }

    /// Runs SQL beside RouteLedger, as the database's owner would: with the sqlite3 shell, or psql as a
    /// superuser. With `bypassingImmutability`, the triggers that refuse changes to events are off for it
    /// (SQLite: dropped; PostgreSQL: `session_replication_role = replica` for this session only).
    func execute(_ sql: String, bypassingImmutability: Bool = false) async throws {
        switch engine {
        case .sqlite:
            try await DatabaseQueue(path: path).writeWithoutTransaction { db in
                if bypassingImmutability {
                    try db.execute(sql: "DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS events_refuse_delete")
                }
                try db.execute(sql: sql)
            }
        case .postgres:
            let prefix = bypassingImmutability ? "SET session_replication_role = replica; " : ""
            try await PostgresServer.shared().psql(PostgresServer.database(of: path), prefix + sql)
        }
    }

    /// The rows of a query, each as its columns' text joined by `|` (the same query gives the same text on
    /// one engine; blobs are hex on SQLite and `\\x…` on PostgreSQL).
    func query(_ sql: String) async throws -> [String] {
        switch engine {
        case .sqlite:
            return try await DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { value -> String in
                        if case .blob(let data) = value.storage { return [UInt8](data).hexString }
                        return value.isNull ? "" : "\(value)"
                    }.joined(separator: "|")
                }
            }
        case .postgres:
            let output = try await PostgresServer.shared().psql(PostgresServer.database(of: path), sql)
            return output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }
    }

    /// The table holding the applied migrations' names.
    var migrationsTable: String { engine == .sqlite ? "grdb_migrations" : "routeledger_migrations" }
}

/// JSON Lines for tests.
func lines(_ events: String...) -> [UInt8] { Array(events.joined(separator: "\n").utf8) }

func network(_ id: String, time: String? = nil) -> String {
    let t = time.map { ",\"time\":\"\($0)\"" } ?? ""
    return #"{"id":"\#(id)","type":"network.created"\#(t),"data":{"network":{"id":"n-\#(id)","name":"\#(id)"}}}"#
}

@Suite("SQLite event log")
struct EventLogTests {
    @Test("positions are gapless across batches", arguments: Engine.all)
    func gaplessSeq(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let first = try log.append(contentsOf: lines(network("a"), network("b")))
        let second = try log.append(contentsOf: lines(network("c")))
        #expect(first.positions == [1, 2])
        #expect(second.positions == [3])
        #expect(try log.events().map(\.seq) == [1, 2, 3])
    }

    @Test("a bad line 3 leaves nothing stored and the error names line 3", arguments: Engine.all)
    func atomicBatch(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("before")))
        let bad = #"{"id":"x","type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"runing","desiredState":"running"}}}"#
        #expect {
            try log.append(contentsOf: lines(network("a"), network("b"), bad, network("d")))
        } throws: { error in
            guard case StoreError.invalidEvent(let e) = error else { return false }
            return e.location == .line(3) && e.field == "data.task.state" && e.reason.contains("unknown task state \"runing\"")
        }
        #expect(try log.lastSeq() == 1)
        #expect(try log.events().map(\.id) == ["before"])
    }

    @Test("a syntax error in a JSON array names the index", arguments: Engine.all)
    func arraySyntaxError(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let input = "[\(network("a")), \(network("b")), {\"id\": }]"
        #expect {
            try log.append(contentsOf: Array(input.utf8))
        } throws: { error in
            guard case StoreError.syntax(let e) = error else { return false }
            return e.location == .index(2)
        }
        #expect(try log.lastSeq() == 0)
    }

    @Test("an unknown type is refused, not stored", arguments: Engine.all)
    func unknownType(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        #expect {
            try log.append(contentsOf: lines(#"{"type":"service.exploded","data":{}}"#))
        } throws: { error in
            guard case StoreError.invalidEvent(let e) = error else { return false }
            return e.location == .line(1) && e.field == "type"
        }
        #expect(try log.lastSeq() == 0)
    }

    @Test("re-appending the same events is a no-op returning the stored positions", arguments: Engine.all)
    func idempotentReappend(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let input = lines(network("a"), network("b"))
        let first = try log.append(contentsOf: input)
        // Same content written differently (key order, spaces) is still the same event.
        let reordered = lines(#"{"data": {"network": {"name": "a", "id": "n-a"}}, "type": "network.created", "id": "a"}"#, network("b"))
        let again = try log.append(contentsOf: reordered)
        #expect(again.appended == 0)
        #expect(again.duplicates == 2)
        #expect(again.positions == first.positions)
        #expect(try log.lastSeq() == 2)
    }

    @Test("the same id with other content is a conflict, and the batch is refused", arguments: Engine.all)
    func conflictingDuplicate(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("a")))
        let changed = #"{"id":"a","type":"network.created","data":{"network":{"id":"n-a","name":"renamed"}}}"#
        #expect(throws: StoreError.conflict(id: "a", storedSeq: 1, location: .line(2))) {
            try log.append(contentsOf: lines(network("b"), changed))
        }
        #expect(try log.lastSeq() == 1)
    }

    @Test("a duplicate inside one batch is detected too", arguments: Engine.all)
    func duplicateWithinBatch(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let result = try log.append(contentsOf: lines(network("a"), network("a")))
        #expect(result.appended == 1)
        #expect(result.duplicates == 1)
        #expect(result.positions == [1, 1])
    }

    @Test("UPDATE and DELETE are refused by triggers", arguments: Engine.all)
    func immutability(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("a")))
        await #expect { try await db.execute("UPDATE events SET data = '{}' WHERE seq = 1") } throws: { error in
            "\(error)".contains("events are immutable: UPDATE refused")
        }
        await #expect { try await db.execute("DELETE FROM events") } throws: { error in
            "\(error)".contains("events are immutable: DELETE refused")
        }
        if engine == .postgres {
            await #expect { try await db.execute("TRUNCATE events CASCADE") } throws: { error in
                "\(error)".contains("events are immutable: TRUNCATE refused")
            }
        }
        #expect(try log.events().count == 1)
    }

    @Test("verify passes on an intact log and names the first modified event", arguments: Engine.all)
    func verifyDetectsTampering(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("a"), network("b"), network("c")))
        let intact = try log.verify()
        #expect(intact.isIntact && intact.events == 3 && intact.lastSeq == 3)
        #expect(intact.lastHash == (try log.events(after: 2).first?.hash))

        // Someone with the sqlite3 shell, or a PostgreSQL superuser, turns the triggers off and edits history.
        try await db.execute(#"UPDATE events SET data = '{"network":{"id":"n-b","name":"evil"}}' WHERE seq = 2"#, bypassingImmutability: true)
        let report = try log.verify()
        #expect(report.firstBad?.seq == 2)
        #expect(report.firstBad?.reason.contains("hash mismatch") == true)
    }

    @Test("an anchor (SEQ:HASH recorded elsewhere) shows what the chain cannot: an end cut off, a log rewritten", arguments: Engine.all)
    func anchors(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("a"), network("b"), network("c")))
        let report = try log.verify()
        let lastHash = try #require(report.lastHash)
        let anchor = try #require(LogAnchor("3:" + lastHash))
        #expect(try log.verify(anchors: [anchor]).isIntact)

        // A log that ends before the anchor: its chain is intact, but the anchor's event is gone.
        let short = try await TemporaryDatabase(engine)
        _ = try short.open().append(contentsOf: lines(network("a"), network("b")))
        let cut = try short.open().verify(anchors: [anchor])
        #expect(cut.firstBad == nil && !cut.isIntact)
        #expect(cut.failedAnchor?.anchor == anchor)
        #expect(cut.failedAnchor?.reason == "the log ends at seq 2: events were cut off from its end")

        // A log rewritten from the start: intact chain, other hashes.
        let other = try await TemporaryDatabase(engine)
        _ = try other.open().append(contentsOf: lines(network("a"), network("x"), network("c")))
        let rewritten = try other.open().verify(anchors: [anchor])
        #expect(rewritten.failedAnchor?.reason.hasSuffix("it is not the log the anchor was recorded from (rewritten at or before seq 3)") == true)

        #expect(LogAnchor("3:abc") == nil)
        #expect(LogAnchor("0:" + String(repeating: "a", count: 64)) == nil)
        #expect(LogAnchor("x:" + String(repeating: "a", count: 64)) == nil)
        #expect(LogAnchor("7:" + String(repeating: "A", count: 64))?.hash == String(repeating: "a", count: 64))
    }

    @Test("a writer waits for the writer lock, and past its timeout gives up naming the holder, writing nothing", arguments: Engine.all)
    func writerLock(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open(lockTimeout: 0.3)
        func busy(_ holderIs: @escaping (String) -> Bool) -> (any Error) -> Bool {
            { error in
                guard case StoreError.writerBusy(let path, let waited, let holder) = error else { return false }
                return path == db.path && waited == 0.3 && holder.map(holderIs) == true
            }
        }
        switch engine {
        case .sqlite:
            let other = try WriterLock(database: db.path, timeout: 10)
            _ = try other.withLock {
                #expect(performing: { try log.append(contentsOf: lines(network("a"))) }, throws: busy { $0.hasPrefix("pid \(getpid()) (") })
            }
        case .postgres:
            // psql holds the advisory lock in an open transaction, as another host's writer would.
            let server = try await PostgresServer.shared()
            let database = PostgresServer.database(of: db.path)
            let holder = try await server.holdAdvisoryLock(PostgresEngine.writerLockKey, database: database)
            #expect(performing: { try log.append(contentsOf: lines(network("a"))) }, throws: busy { holder in
                holder.hasPrefix("backend pid ") && holder.contains("(psql) from 127.0.0.1 since ")
            })
            await holder.release()
        }
        #expect(try log.lastSeq() == 0)
        #expect(try log.append(contentsOf: lines(network("a"))).lastSeq == 1, "the lock is free again")
        #expect(StoreError.writerBusy(path: "/x.db", waited: 300, holder: "pid 7 (routeledger append) since 2026-11-29T12:00:00Z").description
                == "/x.db stayed locked by pid 7 (routeledger append) since 2026-11-29T12:00:00Z for the 300 s this writer waited (--lock-timeout); nothing was written")
    }

    @Test("verify notices a removed event", arguments: Engine.all)
    func verifyDetectsGap(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("a"), network("b"), network("c")))
        try await db.execute("DELETE FROM events WHERE seq = 2", bypassingImmutability: true)
        #expect(try log.verify().firstBad?.seq == 3)
    }

    @Test("reopening keeps the log and continues its chain", arguments: Engine.all)
    func reopen(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        do {
            let log = try db.open()
            _ = try log.append(contentsOf: lines(network("a")))
        }
        let reopened = try db.open(create: false)
        #expect(try reopened.lastSeq() == 1)
        _ = try reopened.append(contentsOf: lines(network("b")))
        #expect(try reopened.verify().isIntact)
        #expect(try reopened.lastSeq() == 2)
    }

    @Test("read commands never create a log", arguments: Engine.all)
    func missingDatabase(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        #expect(throws: StoreError.missingDatabase(path: db.path)) { try db.open(create: false) }
        if engine == .sqlite { #expect(!FileManager.default.fileExists(atPath: db.path)) }
        if engine == .postgres { #expect(try await db.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == ["0"]) }
    }

    @Test("a database written by a newer schema is refused", arguments: Engine.all)
    func newerSchema(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        _ = try db.open()
        try await db.execute("INSERT INTO \(db.migrationsTable) (identifier) VALUES ('v9-future')")
        #expect(throws: StoreError.newerSchema(path: db.path, unknownMigrations: ["v9-future"])) { try db.open() }
    }

    @Test("a database holding other tables is refused, and left alone", arguments: Engine.all)
    func otherTables(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        try await db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1)")
        #expect(throws: StoreError.notRouteLedger(path: db.path, reason: "it holds other tables (invoices)")) { try db.open() }
        #expect(try await db.query("SELECT id FROM invoices") == ["1"])
    }

    @Test("a file that is not SQLite is refused with a clear error")
    func notADatabase() async throws {
        let db = try await TemporaryDatabase(.sqlite)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: db.path))
        #expect { try db.open() } throws: { error in
            guard case StoreError.notRouteLedger(let path, let reason) = error else { return false }
            return path == db.path && reason.contains("not a SQLite database")
        }
    }

    @Test("log time never goes back; a missing time is the recording time", arguments: Engine.all)
    func logTime(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open(now: Timestamp(rfc3339: "2026-11-27T09:20:00Z")!.nanosecondsSinceEpoch)
        _ = try log.append(contentsOf: lines(
            network("a", time: "2026-11-27T10:00:03Z"),
            network("b", time: "2026-11-27T10:00:01Z"),
            network("c", time: "2026-11-27T10:00:05Z"),
            network("d")))
        let events = try log.events()
        #expect(events.map(\.time.rfc3339) == ["2026-11-27T10:00:03Z", "2026-11-27T10:00:01Z", "2026-11-27T10:00:05Z", "2026-11-27T09:20:00Z"])
        #expect(events.map(\.logTime.rfc3339) == ["2026-11-27T10:00:03Z", "2026-11-27T10:00:03Z", "2026-11-27T10:00:05Z", "2026-11-27T10:00:05Z"])
        #expect(try log.seq(atOrBefore: Timestamp(rfc3339: "2026-11-27T10:00:04Z")!) == 2)
        #expect(try log.seq(atOrBefore: Timestamp(rfc3339: "2026-11-27T10:00:02Z")!) == 0)
        #expect(try log.seq(atOrBefore: Timestamp(rfc3339: "2030-01-01T00:00:00Z")!) == 4)
    }

    @Test("an event without an id gets a unique one; meta is stored as given", arguments: Engine.all)
    func assignedIDsAndMeta(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let noID = #"{"type":"network.removed","data":{"networkId":"n1"},"meta":{"source":"docker","correlation":"deploy-42"}}"#
        _ = try log.append(contentsOf: lines(noID, noID))
        let events = try log.events()
        #expect(events.count == 2)
        #expect(events[0].id != events[1].id)
        #expect(events[0].id.count == 36)
        #expect(events[0].meta == #"{"source":"docker","correlation":"deploy-42"}"#)
    }

    @Test("the routing at a past position is the fold of the events up to it", arguments: Engine.all)
    func routingAtAPoint(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(
            #"{"id":"n","type":"network.created","data":{"network":{"id":"n1","name":"demo"}}}"#,
            #"{"id":"s","type":"service.created","data":{"service":{"id":"s1","name":"web","labels":{"com.docker.lb.hosts":"web.local","com.docker.lb.port":"80"},"networks":["n1"]}}}"#,
            #"{"id":"t1","type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"running","desiredState":"running","addresses":[{"networkId":"n1","addr":"10.0.0.2/24"}]}}}"#,
            #"{"id":"t2","type":"task.updated","data":{"task":{"id":"t2","serviceId":"s1","state":"running","desiredState":"running","addresses":[{"networkId":"n1","addr":"10.0.0.3/24"}]}}}"#))
        let atThree = try log.projection(through: try log.point(seq: 3)).view
        let now = try log.projection(through: try log.point()).view
        #expect(atThree.frontends.first?.upstreams.map(\.address) == ["10.0.0.2:80"])
        #expect(now.frontends.first?.upstreams.map(\.address) == ["10.0.0.2:80", "10.0.0.3:80"])
        #expect(throws: PointError.self) { try log.point(seq: 9) }
    }

    /// Enough network events to take the two-thread path (inputs of 64 KiB and more).
    static func many(_ count: Int, prefix: String = "n") -> [String] {
        (1...count).map { network("\(prefix)\($0)") }
    }

    @Test("a large append projects on a second thread and stores everything in order", arguments: Engine.all)
    func largeAppend(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let events = Self.many(12_000)
        #expect(events.joined(separator: "\n").utf8.count >= EventLog.parallelThreshold)
        var reported: [Int] = []
        let result = try log.append(contentsOf: Array(events.joined(separator: "\n").utf8)) { reported.append($0) }
        #expect(result.appended == 12_000)
        #expect(result.positions == Array(1...12_000))
        #expect(try log.events(after: 11_999).map(\.id) == ["n12000"])
        #expect(!reported.isEmpty && reported == reported.sorted())
        #expect(try log.verify().isIntact)
    }

    @Test("a large append with a bad line near its end stores nothing and names the line", arguments: Engine.all)
    func largeAtomicBatch(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        var events = Self.many(3_000)
        events[2_876] = #"{"type":"network.created","data":{"network":{"id":"","name":"x"}}}"#
        #expect {
            try log.append(contentsOf: Array(events.joined(separator: "\n").utf8))
        } throws: { error in
            guard case StoreError.invalidEvent(let e) = error else { return false }
            return e.location == .line(2_877) && e.field == "data.network.id"
        }
        #expect(try log.lastSeq() == 0)
    }

    @Test("a large append with a conflicting id stores nothing", arguments: Engine.all)
    func largeConflict(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(network("n5")))
        var events = Self.many(3_000)
        events[4] = #"{"id":"n5","type":"network.created","data":{"network":{"id":"other","name":"n5"}}}"#
        #expect(throws: StoreError.conflict(id: "n5", storedSeq: 1, location: .line(5))) {
            try log.append(contentsOf: Array(events.joined(separator: "\n").utf8))
        }
        #expect(try log.lastSeq() == 1)
        // The decoder thread is gone and the log takes the next append.
        #expect(try log.append(contentsOf: Array(Self.many(3_000, prefix: "m").joined(separator: "\n").utf8)).appended == 3_000)
    }

    @Test("single-threaded and two-thread appends store identical logs", arguments: Engine.all)
    func parallelProjectionMatchesSingleThread(engine: Engine) async throws {
        let input = Array(Self.many(2_000).joined(separator: "\n").utf8)
        let a = try await TemporaryDatabase(engine), b = try await TemporaryDatabase(engine)
        let ahead = try a.open()
        let single = try EventLog(path: b.path, options: StoreOptions(parallelProjection: false),
                                  clock: { Timestamp(nanosecondsSinceEpoch: 1_000_000_000_000_000_000) })
        _ = try ahead.append(contentsOf: input)
        _ = try single.append(contentsOf: input)
        #expect(try ahead.events() == single.events())
    }
}
