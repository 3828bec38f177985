// The PostgreSQL part of the harness (`--postgres URL`): RouteLedger's append against a floor measured in the
// same run on the same server, and `routes --seq` at the end of a long log.
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import RouteLedgerCore
import RouteLedgerStore

/// A connection to the benchmark's server, used synchronously (this is a command-line tool's main thread).
struct BenchConnection {
    let connection: PostgresConnection
    let logger = Logger(label: "routeledger-bench.postgres")

    init(_ url: PostgresURL, database: String? = nil) throws {
        let configuration: PostgresConnection.Configuration
        if let directory = url.socketDirectory {
            configuration = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(url.port)", username: url.user, password: url.password,
                                  database: database ?? url.database)
        } else {
            configuration = .init(host: url.host ?? "127.0.0.1", port: url.port, username: url.user, password: url.password,
                                  database: database ?? url.database, tls: .disable)
        }
        connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                    id: 1, logger: logger).wait()
    }

    func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws {
        _ = try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait()
    }

    func close() { try? connection.close().wait() }
}

/// A fresh, empty database `name` on the server of `url` (dropped first if it exists); returns its URL.
func freshPostgresDatabase(_ url: PostgresURL, _ name: String) throws -> String {
    let admin = try BenchConnection(url, database: "postgres")
    defer { admin.close() }
    try admin.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    try admin.run("CREATE DATABASE \(name)")
    var fresh = url
    fresh.database = name
    var text = "postgres://\(fresh.user)\(fresh.password.map { ":" + $0 } ?? "")@\(fresh.host ?? "")"
    if fresh.host != nil { text += ":\(fresh.port)" }
    text += "/\(name)"
    if let directory = fresh.socketDirectory { text += "?host=\(directory)&port=\(fresh.port)" } else { text += "?sslmode=disable" }
    return text
}

/// The floor: the same JSON lines into a bare two-column table, one transaction per chunk, each chunk one
/// INSERT of two array parameters unnested by the server (RouteLedger's engine stores a block the same way;
/// it beat a multi-row VALUES list, whose parsing and planning grow with the rows), with the same
/// `synchronous_commit`. Nothing is parsed, validated, hashed or projected, and nothing else is indexed.
func rawPostgresInsert(_ url: PostgresURL, _ chunks: [[UInt8]], synchronous: Synchronous) throws -> Double {
    let databaseURL = try PostgresURL(try freshPostgresDatabase(url, "routeledger_bench_floor"))
    let connection = try BenchConnection(databaseURL)
    defer { connection.close() }
    try connection.run("SET synchronous_commit = \(synchronous == .full ? "on" : "off")")
    try connection.run("CREATE TABLE raw (seq BIGINT PRIMARY KEY, line TEXT NOT NULL)")
    var seq: Int64 = 0
    return try measure {
        for chunk in chunks {
            var seqs: [Int64] = []
            var lines: [String] = []
            var start = 0
            for i in chunk.indices where chunk[i] == UInt8(ascii: "\n") {
                seq += 1
                seqs.append(seq)
                lines.append(String(decoding: chunk[start..<i], as: UTF8.self))
                start = i + 1
            }
            var binds = PostgresBindings()
            binds.append(seqs)
            binds.append(lines)
            try connection.run("BEGIN")
            try connection.run("INSERT INTO raw (seq, line) SELECT * FROM unnest($1::int8[], $2::text[])", binds)
            try connection.run("COMMIT")
        }
    }
}

/// RouteLedger's append into a fresh database on the server.
func routeLedgerPostgresAppend(_ url: PostgresURL, _ chunks: [[UInt8]], synchronous: Synchronous) throws -> Double {
    let location = try freshPostgresDatabase(url, "routeledger_bench_append")
    let log = try EventLog(path: location, options: StoreOptions(synchronous: synchronous))
    return try measure {
        for chunk in chunks { _ = try log.append(contentsOf: chunk) }
    }
}

/// Append on PostgreSQL against its floor, run by run, beside the SQLite ratio measured in the same runs.
func postgresAppendBenchmark(_ url: PostgresURL, _ batches: [[UInt8]], events: Int, runs: Int, synchronous: Synchronous) throws {
    var pgRatios: [Double] = [], sqliteRatios: [Double] = [], pgFloors: [Double] = [], pgAppends: [Double] = []
    for run in 1...runs {
        let pgFloor = Double(events) / (try rawPostgresInsert(url, batches, synchronous: synchronous))
        let pgAppend = Double(events) / (try routeLedgerPostgresAppend(url, batches, synchronous: synchronous))
        let sqliteFloor = Double(events) / rawSQLiteInsert(batches, synchronous: synchronous)
        let sqliteAppend = Double(events) / (try routeLedgerAppend(batches, synchronous: synchronous, parallelProjection: true))
        pgFloors.append(pgFloor)
        pgAppends.append(pgAppend)
        pgRatios.append(pgAppend / pgFloor)
        sqliteRatios.append(sqliteAppend / sqliteFloor)
        print(String(format: "  run %d: PostgreSQL floor %.0f events/s, append %.0f events/s (ratio %.3f); SQLite floor %.0f, append %.0f (ratio %.3f)",
                     run, pgFloor, pgAppend, pgAppend / pgFloor, sqliteFloor, sqliteAppend, sqliteAppend / sqliteFloor))
    }
    print("")
    print("| measure | median of \(runs) | goal |")
    print("|---|---|---|")
    print(String(format: "| PostgreSQL floor: the raw lines, one INSERT … unnest per transaction | %.0f events/s | |", median(pgFloors)))
    print(String(format: "| RouteLedger append on PostgreSQL | %.0f events/s | |", median(pgAppends)))
    print(String(format: "| PostgreSQL append / floor (per-run ratio) | %.3f | >= 0.5 |", median(pgRatios)))
    print(String(format: "| SQLite append / floor, same runs (per-run ratio) | %.3f | |", median(sqliteRatios)))
}

/// `routes --seq N` at seq 1 and at the end of a log already written to `location` (either engine), as the
/// CLI runs it: open, resolve, fold from the nearest snapshot, build the view.
func routesTimes(_ location: String, runs: Int) throws -> (early: Double, late: Double, last: Seq) {
    let last = try EventLog(path: location, options: StoreOptions(create: false)).lastSeq()
    func routes(at seq: Seq) throws -> Double {
        try measure {
            let fresh = try EventLog(path: location, options: StoreOptions(create: false))
            blackHole(try fresh.projection(through: try fresh.point(seq: seq)).view)
        }
    }
    var early: [Double] = [], late: [Double] = []
    for _ in 1...runs {
        early.append(try routes(at: 1))
        late.append(try routes(at: last))
    }
    return (median(early), median(late), last)
}
