// Release-mode benchmark harness. Every figure is reported beside a baseline measured in the same run,
// because this machine is shared and noisy: compare ratios, not absolute numbers.
//
//   swift run -c release routeledger-bench [--events N] [--batch N] [--runs N] [--synchronous full|normal]
//   routeledger-bench --postgres postgres://USER@HOST:PORT/DB   append on PostgreSQL vs its floor, beside SQLite's
//   routeledger-bench --only routes --database A [--database B]  routes --seq 1 and at the end of written logs
import Foundation
import GRDBSQLite
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerSimulator
import RouteLedgerStore

struct Arguments {
    var events = 200_000
    var batch = 1_000
    var runs = 3
    var synchronous = Synchronous.full
    /// Run only one part (`append`, `store`, `fold`, `reloads`, `query` or `ingest`), e.g. under a profiler; `write` only writes
    /// the log into `--database PATH` (for timing `routeledger rebuild` on it).
    var only: String?
    var database: String?
    /// More logs for `--only routes` (the first is `database`).
    var databases: [String] = []
    /// A PostgreSQL server (any database on it; the harness creates its own) for the PostgreSQL append benchmark.
    var postgres: String?

    init() {
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let arg = args.next() {
            switch arg {
            case "--events": events = Int(args.next() ?? "") ?? events
            case "--batch": batch = Int(args.next() ?? "") ?? batch
            case "--runs": runs = Int(args.next() ?? "") ?? runs
            case "--synchronous": synchronous = Synchronous(rawValue: (args.next() ?? "").uppercased()) ?? synchronous
            case "--only": only = args.next()
            case "--database":
                let next = args.next()
                if database == nil { database = next } else if let next { databases.append(next) }
            case "--postgres": postgres = args.next()
            case "-h", "--help":
                print("usage: routeledger-bench [--events N] [--batch N] [--runs N] [--synchronous full|normal] [--only append|store|fold|reloads|query|ingest|write|routes --database PATH|URL] [--postgres URL]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("routeledger-bench: unknown argument \(arg)\n".utf8))
                exit(2)
            }
        }
    }
}

/// Seconds taken by `body`, on the monotonic clock.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Keeps the optimizer from discarding work whose result a measurement does not otherwise use.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("routeledger-bench-\(name)-\(getpid()).db").path
}

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// Splits JSON Lines into chunks of `size` lines (each chunk keeps its newlines).
func chunks(_ bytes: [UInt8], size: Int) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var start = 0
    var count = 0
    for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
        count += 1
        if count == size {
            result.append(Array(bytes[start...i]))
            start = i + 1
            count = 0
        }
    }
    if start < bytes.count { result.append(Array(bytes[start...])) }
    return result
}

/// The floor: the same JSON lines stored by the raw SQLite C API, in transactions of the same size,
/// WAL and the same `synchronous`, one prepared INSERT. Nothing is parsed, validated or hashed.
func rawSQLiteInsert(_ chunks: [[UInt8]], synchronous: Synchronous) -> Double {
    let path = temporaryPath("floor")
    removeDatabase(path)
    defer { removeDatabase(path) }
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK, let db else { fatalError("cannot open \(path)") }
    defer { sqlite3_close(db) }
    func exec(_ sql: String) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { fatalError(String(cString: sqlite3_errmsg(db))) }
    }
    exec("PRAGMA journal_mode = WAL")
    exec("PRAGMA synchronous = \(synchronous.rawValue)")
    exec("CREATE TABLE raw (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)")
    var statement: OpaquePointer?
    sqlite3_prepare_v2(db, "INSERT INTO raw (line) VALUES (?)", -1, &statement, nil)
    defer { sqlite3_finalize(statement) }
    return measure {
        for chunk in chunks {
            exec("BEGIN IMMEDIATE")
            chunk.withUnsafeBytes { buffer in
                var start = 0
                for i in 0..<buffer.count where buffer[i] == UInt8(ascii: "\n") {
                    sqlite3_bind_text(statement, 1, buffer.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self),
                                      Int32(i - start), nil)
                    guard sqlite3_step(statement) == SQLITE_DONE else { fatalError(String(cString: sqlite3_errmsg(db))) }
                    sqlite3_reset(statement)
                    start = i + 1
                }
            }
            exec("COMMIT")
        }
    }
}

/// RouteLedger's append: parse, validate, canonicalize, hash-chain and store, one transaction per chunk.
func routeLedgerAppend(_ chunks: [[UInt8]], synchronous: Synchronous, parallelProjection: Bool) throws -> Double {
    let path = temporaryPath("append")
    removeDatabase(path)
    defer { removeDatabase(path) }
    let log = try EventLog(path: path, options: StoreOptions(synchronous: synchronous, parallelProjection: parallelProjection))
    return try measure {
        for chunk in chunks { _ = try log.append(contentsOf: chunk) }
    }
}

/// Parse + validate + typed decode, in memory: where append time goes before SQLite.
func decodeAll(_ bytes: [UInt8]) throws -> [RecordedEvent] {
    var events: [RecordedEvent] = []
    var seq: Seq = 0
    try bytes.withUnsafeBytes { buffer in
        try JSONParser.forEachDocument(in: buffer, reading: { reader, location in
            let incoming = try EventDecoder.decode(&reader, at: location)
            seq += 1
            let time = incoming.time ?? Timestamp(nanosecondsSinceEpoch: 0)
            events.append(RecordedEvent(seq: seq, id: incoming.id ?? "", time: time, logTime: time, event: incoming.event))
        })
    }
    return events
}

let arguments = Arguments()
let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu), \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")
if arguments.only == "ingest" {
    print("command: routeledger-bench --only ingest --runs \(arguments.runs)")
} else if arguments.only == "routes" {
    print("command: routeledger-bench --only routes --runs \(arguments.runs) --database …")
} else if let postgres = arguments.postgres {
    print("command: routeledger-bench --events \(arguments.events) --batch \(arguments.batch) --runs \(arguments.runs) --synchronous \(arguments.synchronous.rawValue.lowercased()) --postgres \((try? PostgresURL(postgres).description) ?? "?")")
} else {
    print("command: routeledger-bench --events \(arguments.events) --batch \(arguments.batch) --runs \(arguments.runs) --synchronous \(arguments.synchronous.rawValue.lowercased())")
}

/// `routes --seq N` as the CLI runs it (open the log, resolve the point, fold from the nearest snapshot,
/// build the view), at seq 1 and at the end of the log, alternating; the ratio shows whether the cost
/// depends on the log's length.
func queryBenchmark(_ bytes: [UInt8], runs: Int) throws {
    let path = temporaryPath("query")
    removeDatabase(path)
    defer { removeDatabase(path) }
    let log = try EventLog(path: path)
    if let every = ProcessInfo.processInfo.environment["SNAPSHOT_EVERY"].flatMap(Int.init) { try log.setSnapshotInterval(every) }
    for chunk in chunks(bytes, size: 10_000) { _ = try log.append(contentsOf: chunk) }
    let (early, late, last) = try routesTimes(path, runs: runs)
    print(String(format: "| routes --seq 1 (open, fold, view) | %.1f ms | |", early * 1000))
    print(String(format: "| routes --seq %lld (end of the log) | %.1f ms | |", last, late * 1000))
    print(String(format: "| end / start (median ratio) | %.2f | <= 3 |", late / early))
}

if arguments.only == "ingest" {
    try ingestBenchmark(runs: arguments.runs)
    exit(0)
}
if arguments.only == "routes" {
    guard let first = arguments.database else {
        FileHandle.standardError.write(Data("routeledger-bench: --only routes needs --database PATH|URL (written with --only write)\n".utf8))
        exit(2)
    }
    print("| log | routes --seq 1 | routes --seq LAST (end of the log) | end / start |")
    print("|---|---|---|---|")
    for location in [first] + arguments.databases {
        let times = try routesTimes(location, runs: arguments.runs)
        let shown = (try? PostgresURL(location).description) ?? location
        print("| \(shown) (\(times.last) events) | " + String(format: "%.1f ms | %.1f ms | %.2f |", times.early * 1000, times.late * 1000, times.late / times.early))
    }
    exit(0)
}

let bytes = ChurnSimulator.lines(arguments.events, ChurnConfiguration())
let batches = chunks(bytes, size: arguments.batch)
if let postgres = arguments.postgres {
    print("log: \(arguments.events) churn events, \(batches.count) transactions of \(arguments.batch), PostgreSQL at \(try PostgresURL(postgres))")
    try postgresAppendBenchmark(try PostgresURL(postgres), batches, events: arguments.events, runs: arguments.runs, synchronous: arguments.synchronous)
    exit(0)
}
if arguments.only == "write" {
    guard let path = arguments.database else {
        FileHandle.standardError.write(Data("routeledger-bench: --only write needs --database PATH\n".utf8))
        exit(2)
    }
    let log = try EventLog(path: path)
    let seconds = try measure { for chunk in chunks(bytes, size: 10_000) { _ = try log.append(contentsOf: chunk) } }
    print(String(format: "wrote %d events in %.1f s", arguments.events, seconds))
    exit(0)
}
if arguments.only == "query" {
    print("| measure | median of \(arguments.runs) | target |")
    print("|---|---|---|")
    try queryBenchmark(bytes, runs: arguments.runs)
    exit(0)
}
print("log: \(arguments.events) churn events, \(bytes.count / arguments.events) bytes/event on average, \(batches.count) transactions of \(arguments.batch)")

// Append vs the raw SQLite floor, interleaved run by run so that both see the same machine.
var floorRates: [Double] = []
var appendRates: [Double] = []
var singleThreadRates: [Double] = []
for run in 1...arguments.runs where arguments.only == nil || arguments.only == "append" {
    let floor = Double(arguments.events) / rawSQLiteInsert(batches, synchronous: arguments.synchronous)
    let append = Double(arguments.events) / (try routeLedgerAppend(batches, synchronous: arguments.synchronous, parallelProjection: true))
    let single = Double(arguments.events) / (try routeLedgerAppend(batches, synchronous: arguments.synchronous, parallelProjection: false))
    floorRates.append(floor)
    appendRates.append(append)
    singleThreadRates.append(single)
    print(String(format: "  run %d: raw SQLite floor %.0f events/s, RouteLedger append %.0f events/s (ratio %.3f), single-threaded %.0f events/s (ratio %.3f)",
                 run, floor, append, append / floor, single, single / floor))
}
// Where the rest goes: the same append with events decoded beforehand (SQLite, hash chain, dedupe).
func storeOnly(_ chunks: [[UInt8]]) throws -> Double {
    let decoded = try chunks.map { chunk in
        var events: [IncomingEvent] = []
        try chunk.withUnsafeBytes { buffer in
            try JSONParser.forEachDocument(in: buffer, reading: { reader, location in events.append(try EventDecoder.decode(&reader, at: location)) })
        }
        return events
    }
    let path = temporaryPath("store")
    removeDatabase(path)
    defer { removeDatabase(path) }
    let log = try EventLog(path: path, options: StoreOptions(synchronous: arguments.synchronous))
    return try measure { for events in decoded { _ = try log.append(events) } }
}
var storeRates: [Double] = []
if arguments.only == nil || arguments.only == "store" {
    for run in 1...(arguments.only == "store" ? arguments.runs : 1) {
        storeRates.append(Double(arguments.events) / (try storeOnly(batches)))
        print(String(format: "  store-only run %d: %.0f events/s", run, storeRates.last!))
    }
}
let ratios = zip(appendRates, floorRates).map(/)
let singleRatios = zip(singleThreadRates, floorRates).map(/)

// Where append time goes before SQLite, in memory: the single-pass decode, beside a JSON tree parse.
func phase(_ body: (inout JSONReader, DocumentLocation) throws -> Void) throws -> Double {
    try measure { try bytes.withUnsafeBytes { try JSONParser.forEachDocument(in: $0, reading: body) } }
}
if arguments.only == "append" || arguments.only == "store" { exit(0) }
let parseSeconds = arguments.only == "reloads" ? 0 : try phase { reader, _ in blackHole(try reader.readValue()) }
let validateSeconds = arguments.only == "reloads" ? 0 : try phase { reader, location in blackHole(try EventDecoder.decode(&reader, at: location)) }

// Decode (parse + validate + typed payload) and fold, in memory.
var events: [RecordedEvent] = []
let decodeSeconds = try measure { events = try decodeAll(bytes) }
var stateRates: [Double] = []
var projectionRates: [Double] = []
var reloadRates: [Double] = []
var reloadCount = 0
if arguments.only == "reloads" {
    // The reload fold alone, for a profiler; then with a 2 s settle window (the churn's events are a few
    // hundred ms apart in log time, so windows coalesce bursts).
    for settle: Int64 in [0, 2_000_000_000] {
        for _ in 1...arguments.runs {
            var reloads = ReloadProjection(settings: ReloadSettings(settle: settle), tracksEffects: false)
            var count = 0
            let seconds = measure {
                for event in events { count += reloads.apply(event).reloads.count }
                count += reloads.flush().reloads.count
            }
            print(String(format: "reload fold, settle %.0f s: %.0f events/s, %d reloads", Double(settle) / 1e9, Double(events.count) / seconds, count))
        }
    }
    exit(0)
}
for _ in 1...arguments.runs {
    var state = ClusterState()
    let stateSeconds = measure { for event in events { state.apply(event.event, seq: event.seq) } }
    var projection = RoutingProjection()
    let projectionSeconds = measure { for event in events { projection.apply(event) } }
    precondition(projection.state.seq == Seq(events.count))
    var reloads = ReloadProjection(tracksEffects: false)
    reloadCount = 0
    let reloadSeconds = measure { for event in events { reloadCount += reloads.apply(event).reloads.count } }
    precondition(reloadCount > 0)
    reloadRates.append(Double(events.count) / reloadSeconds)
    stateRates.append(Double(events.count) / stateSeconds)
    projectionRates.append(Double(events.count) / projectionSeconds)
}

print("")
print("| measure | median of \(arguments.runs) | target |")
print("|---|---|---|")
print(String(format: "| raw SQLite insert (floor) | %.0f events/s | |", median(floorRates)))
print(String(format: "| RouteLedger append | %.0f events/s | |", median(appendRates)))
print(String(format: "| append / floor (per-run ratio) | %.3f | >= 0.3 |", median(ratios)))
print(String(format: "| RouteLedger append, projection on the same thread (parallelProjection off) | %.0f events/s | |", median(singleThreadRates)))
print(String(format: "| single-threaded append / floor (per-run ratio) | %.3f | |", median(singleRatios)))
print(String(format: "| store only: append of pre-decoded events | %.0f events/s | |", storeRates.first ?? 0))
print(String(format: "| JSON tree parse (for comparison) | %.0f events/s | |", Double(events.count) / parseSeconds))
print(String(format: "| single-pass validate + typed payload + stored bytes | %.0f events/s | |", Double(events.count) / validateSeconds))
print(String(format: "| decode into RecordedEvent array | %.0f events/s | |", Double(events.count) / decodeSeconds))
print(String(format: "| fold, cluster state only | %.0f events/s | |", median(stateRates)))
print(String(format: "| fold, state + incremental routing projection | %.0f events/s | >= 1,000,000 |", median(projectionRates)))
print(String(format: "| fold, state + routing + reload projection (versions, diffs; no reasons) | %.0f events/s | |", median(reloadRates)))
print(String(format: "| reload projection / routing alone (per-run ratio) | %.2f | >= 0.7 |", median(zip(reloadRates, projectionRates).map(/))))
print("| reloads in the log (routing rules v\(RoutingRules.version)) | \(reloadCount) of \(events.count) events | |")
