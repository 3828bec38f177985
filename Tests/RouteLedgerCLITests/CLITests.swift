import Foundation
import RouteLedgerProcess
import Testing
import TestSupport

/// Runs the built `routeledger` executable, as an operator would.
struct CLI {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable SwiftPM built next to the test bundle.
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // Linux runs the .xctest file itself; be robust to a bundle directory too.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("routeledger")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/routeledger")
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("routeledger-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var database: String { directory.appendingPathComponent("test.db").path }

    /// The engines a test that takes one runs on: SQLite always; PostgreSQL when its programs are installed
    /// (and always with CI=true).
    static var engines: [String] { PostgresServer.shouldRun ? ["SQLite", "PostgreSQL"] : ["SQLite"] }

    /// The test's log on `engine`: its SQLite file, or a new database on the test support's PostgreSQL server.
    func log(on engine: String) async throws -> String {
        engine == "SQLite" ? database : try await PostgresServer.shared().createDatabase()
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `routeledger ARGS` in the test's directory with `--db` pointing at its database (the shipped
    /// ``CommandRunner``, which holds no thread while it waits); killed after the tests' patience.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, db: Bool = true) async throws -> Result {
        let arguments = arguments + (db ? ["--db", database] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["ROUTELEDGER_DB"] = nil
        let outcome = await CommandRunner.run(Self.executable.path, arguments, input: Array((stdin ?? "").utf8), separateErrors: true,
                                              timeout: Patience.duration, workingDirectory: Self.repository.path, environment: environment)
        if outcome.timedOut { throw CLIError.timeout(arguments) }
        return Result(status: outcome.status, stdout: outcome.output, stderr: outcome.errorOutput)
    }

    /// Takes the database's writer lock in another process (util-linux flock, as another writer would) and
    /// holds it until that process is killed; the reaper kills it if the test process goes first.
    func holdWriterLock() throws -> Process {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--no-fork", database + ".lock", "sleep", "600"]
        try holder.run()
        try Reaper.watch(holder.processIdentifier)
        return holder
    }

    /// Whether another process holds the database's writer lock (`flock -n` cannot take it).
    func writerLockIsHeld() async throws -> Bool {
        let lock = database + ".lock"
        return try await Command.run("/usr/bin/flock", ["-n", lock, "true"]).status != 0
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    enum CLIError: Error { case timeout([String]) }
}

/// `curl -s` with a bound on its own run, off the cooperative pool: its exit status and what it printed.
func curlRun(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await Command.run("/usr/bin/curl", ["-s"] + arguments, timeout: Patience.seconds)
}

/// What `curl -s` printed.
func curl(_ arguments: [String]) async throws -> String { try await curlRun(arguments).output }

func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

@Suite("routeledger command line")
struct CLITests {
    @Test("the demo tells the story with the seed's shares")
    func demo() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let result = try await cli.run(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("demo.local"))
        #expect(result.stdout.contains("10.0.2.9:8080"))
        // Task-mode canary: 5 upstreams of 20%; vip-mode canary: 2 of 50%.
        // Tasks by name.slot, as `docker service ps` names them.
        #expect(result.stdout.contains("shop-canary  10.0.2.31:8080  shop-canary.1  20%"))
        #expect(result.stdout.contains("api-canary   10.0.2.50:8080  (vip)          50%"))
        #expect(result.stdout.contains("sticky sessions need task mode"))
        // vip mode: the VIP is routed from the service's creation; its tasks change nothing the proxy sees.
        #expect(result.stdout.contains("""
            seq 6  service demo created: backend_mode=vip hosts=demo.local port=8080, replicas 4, image ehazlett/docker-demo
                    -> reload 2: frontend demo.local added; demo.local: +10.0.2.9:8080 share 100%
            seq 7  task demo.1: running at 10.0.2.10
                    -> absorbed: demo is in vip mode: task demo.1 leaves upstream 10.0.2.9:8080 unchanged
            """))
        // A second demo into the same database is refused: it needs a fresh one.
        let again = try await cli.run(["demo"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already holds events"))
    }

    @Test("routes --json gives the documented shape, at any point")
    func routesJSON() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        for file in ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl"] {
            #expect(try await cli.run(["append", "data/" + file]).status == 0)
        }
        let now = try json(try await cli.run(["routes", "--json"]).stdout) as! [String: Any]
        #expect(now["seq"] as? Int == 22)
        let frontends = now["frontends"] as! [[String: Any]]
        #expect(frontends.map { $0["host"] as! String } == ["demo.local", "shop.local"])
        let shop = frontends[1]["upstreams"] as! [[String: Any]]
        #expect(shop.count == 5)
        #expect(shop.allSatisfy { ($0["share"] as! Double) == 0.2 })
        #expect(shop.last?["service"] as? String == "shop-canary")
        #expect(shop.last?["task"] as? String == "shopc1" && shop.last?["taskName"] as? String == "shop-canary.1", "the id kept, the name added")
        let backends = now["defaultBackends"] as! [[String: Any]]
        #expect(backends.first?["service"] as? String == "demo-default")
        let diagnostics = now["diagnostics"] as! [[String: Any]]
        #expect(diagnostics.first?["label"] as? String == "com.docker.lb.sticky_session_cookie")

        let before = try json(try await cli.run(["routes", "--json", "--seq", "5"]).stdout) as! [String: Any]
        #expect((before["frontends"] as! [Any]).isEmpty)
        #expect(before["logTime"] as? String == "2026-11-27T10:00:02.5Z")
        // Seq 6 creates the vip-mode service demo: its VIP is routed before any task runs, with a warning.
        let atTime = try json(try await cli.run(["routes", "--json", "--at", "2026-11-27T10:00:03.2Z"]).stdout) as! [String: Any]
        #expect(atTime["seq"] as? Int == 6)
        #expect((atTime["frontends"] as! [[String: Any]]).map { $0["host"] as! String } == ["demo.local"])
        #expect((atTime["diagnostics"] as! [[String: Any]]).contains {
            $0["service"] as? String == "demo" && $0["message"] as? String == "no running task: its VIP answers nothing"
        })
    }

    @Test("a bad line 3 is reported on one line, exit 1, and nothing is stored")
    func appendBadLine() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let file = try cli.write("bad.jsonl", """
            {"id":"a","type":"network.created","data":{"network":{"id":"n1","name":"demo"}}}
            {"id":"b","type":"network.created","data":{"network":{"id":"n2","name":"other"}}}
            {"id":"c","type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"runing","desiredState":"running"}}}
            """)
        let result = try await cli.run(["append", file])
        #expect(result.status == 1)
        #expect(result.stderr == "routeledger: invalid event: line 3: data.task.state: unknown task state \"runing\" (expected one of new, pending, assigned, accepted, preparing, ready, starting, running, complete, shutdown, failed, rejected, remove, orphaned, allocated)\n")
        #expect(result.stdout.isEmpty)
        let events = try await cli.run(["events", "--json"])
        #expect(events.status == 0)
        #expect((try json(events.stdout) as! [Any]).isEmpty)
    }

    @Test("events --json can be appended again: every event is a duplicate")
    func exportReimport() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl"]).status == 0)
        let exported = try await cli.run(["events", "--json"]).stdout
        let result = try await cli.run(["append", "--json", "-"], stdin: exported)
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try json(result.stdout) as! [String: Any]
        #expect(summary["appended"] as? Int == 0)
        #expect(summary["duplicates"] as? Int == 10)
        #expect(summary["lastSeq"] as? Int == 10)
    }

    @Test("events --seq/--at show the log as it stood then")
    func eventsAtAPoint() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl"]).status == 0)
        let upToFour = try json(try await cli.run(["events", "--json", "--after", "1", "--seq", "4"]).stdout) as! [[String: Any]]
        #expect(upToFour.map { $0["seq"] as! Int } == [2, 3, 4])
        let atTime = try json(try await cli.run(["events", "--json", "--at", "2026-11-27T10:00:04Z"]).stdout) as! [[String: Any]]
        #expect(atTime.map { $0["seq"] as! Int } == [1, 2, 3])
    }

    @Test("verify: exit 0 on an intact log, exit 1 naming the first bad seq")
    func verify() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/01-default-backend.jsonl"]).status == 0)
        let intact = try await cli.run(["verify"])
        #expect(intact.status == 0)
        let printed = intact.stdout.split(separator: "\n").map(String.init)
        #expect(printed.first == "ok: 5 events, hash chain intact through seq 5; reload records follow routing rules v3")
        let anchor = try #require(printed.last.flatMap { $0.hasPrefix("anchor: ") ? String($0.dropFirst(8)) : nil })
        let verifyJSON = try json(try await cli.run(["verify", "--json"]).stdout) as! [String: Any]
        #expect("\(verifyJSON["lastSeq"] as! Int):\(verifyJSON["lastHash"] as! String)" == anchor)
        let held = try await cli.run(["verify", "--expect", anchor])
        #expect(held.status == 0 && held.stdout.hasSuffix("held: 5\n"))
        let wrong = try await cli.run(["verify", "--expect", "5:" + String(repeating: "0", count: 64)])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.hasPrefix("routeledger: verify failed: anchor 5:000000000000…: the log holds "))
        let beyond = try await cli.run(["verify", "--expect", "9:" + String(anchor.dropFirst(2))])
        #expect(beyond.stderr == "routeledger: verify failed: anchor 9:\(anchor.dropFirst(2).prefix(12))…: the log ends at seq 5: events were cut off from its end\n")
        #expect(try await cli.run(["verify", "--expect", "5:abc"]).status == 2)
        let sqlite = try await Command.run("/usr/bin/sqlite3", [cli.database, "DROP TRIGGER events_refuse_update; UPDATE events SET id = 'forged' WHERE seq = 4;"])
        #expect(sqlite.status == 0, "\(sqlite.output)")
        let tampered = try await cli.run(["verify"])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("verify failed at seq 4: hash mismatch"))
    }

    @Test("four concurrent append processes of 2,000 events each all succeed, gapless, each batch whole and in one piece",
          arguments: CLI.engines)
    func concurrentWriters(engine: String) async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let database = try await cli.log(on: engine)
        func run(_ arguments: [String]) async throws -> CLI.Result { try await cli.run(arguments + ["--db", database], db: false) }
        #expect(try await run(["init"]).status == 0)
        var files: [String] = []
        for writer in 1...4 {
            let lines = (1...2_000).map { i in
                #"{"id":"w\#(writer)-\#(i)","type":"network.created","time":"2026-11-27T10:00:00Z","data":{"network":{"id":"n-\#(writer)-\#(i)","name":"w\#(writer)n\#(i)"}}}"#
            }
            files.append(try cli.write("writer\(writer).jsonl", lines.joined(separator: "\n") + "\n"))
        }
        let results = try await withThrowingTaskGroup(of: CLI.Result.self) { group in
            for file in files { group.addTask { try await run(["append", file]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        let events = try json(try await run(["events", "--json"]).stdout) as! [[String: Any]]
        #expect(events.map { $0["seq"] as! Int } == Array(1...8_000))
        for writer in 1...4 {
            let seqs = events.filter { ($0["id"] as! String).hasPrefix("w\(writer)-") }.map { $0["seq"] as! Int }
            #expect(seqs.count == 2_000 && seqs.last! - seqs.first! == 1_999, "writer \(writer)'s batch is one piece")
        }
        #expect(try await run(["verify"]).status == 0)
    }

    @Test("a writer waits for the writer lock as long as another process holds it, longer than SQLite's 5 s busy timeout would")
    func waitsForLongWriter() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["init"]).status == 0)
        let small = try cli.write("small.jsonl", #"{"id":"small","type":"network.created","data":{"network":{"id":"n-small","name":"small"}}}"# + "\n")
        // Another writer holds the lock (as a long append would) until this test lets go: watching a real
        // append for its lock raced with the append's end on a loaded machine.
        let holder = try cli.holdWriterLock()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(try await Patience.wait { try await cli.writerLockIsHeld() })
        let started = ContinuousClock.now
        async let waited = cli.run(["append", small, "--json"])
        // Held past SQLite's 5 s busy timeout, then let go (SIGKILL: the test process may ignore SIGTERM,
        // and its children inherit that).
        try await Task.sleep(for: .seconds(6))
        kill(holder.processIdentifier, SIGKILL)
        let result = try await waited
        let took = ContinuousClock.now - started
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try json(result.stdout) as? [String: Int] == ["appended": 1, "duplicates": 0, "lastSeq": 1])
        #expect(took >= .seconds(6), "the append finished after \(took), before the lock was let go")
    }

    @Test("appends from several processes queue on the writer lock: a long one and a short one both land whole")
    func longAndShortWriters() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["init"]).status == 0)
        let big = cli.directory.appendingPathComponent("big.jsonl").path
        #expect(try await SimulatorCLITests.run(["--events", "20000", "--seed", "9", "--id-prefix", "big-", "--out", big]).status == 0)
        let small = try cli.write("small.jsonl", #"{"id":"small","type":"network.created","data":{"network":{"id":"n-small","name":"small"}}}"# + "\n")
        async let long = cli.run(["append", big])
        async let short = cli.run(["append", small, "--json"])
        let (longResult, shortResult) = try await (long, short)
        #expect(longResult.status == 0, "\(longResult.stderr)")
        #expect(shortResult.status == 0, "\(shortResult.stderr)")
        // Whichever went first, each landed in one piece: the small event is first or last, never inside.
        let seq = (try json(shortResult.stdout) as? [String: Int])?["lastSeq"]
        #expect(seq == 1 || seq == 20_001, "the small append landed at \(seq.map(String.init) ?? "?")")
        #expect(try await cli.run(["verify"]).status == 0)
    }

    @Test("a writer that waits past --lock-timeout gives up with one line and writes nothing")
    func lockTimeout() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["init"]).status == 0)
        let file = try cli.write("one.jsonl", #"{"id":"n1","type":"network.created","data":{"network":{"id":"n1","name":"one"}}}"# + "\n")
        // Another holder of the lock file, for longer than this writer waits.
        let holder = try cli.holdWriterLock()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        // Held once `flock -n` cannot take it.
        #expect(try await Patience.wait { try await cli.writerLockIsHeld() })
        let started = ContinuousClock.now
        var waited = try await cli.run(["append", file, "--lock-timeout", "1s"])
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(waited.status == 1)
        #expect(waited.stderr == "routeledger: \(cli.database) stayed locked by another writer for the 1 s this writer waited (--lock-timeout); nothing was written\n")
        // Readers never wait for the writers.
        waited = try await cli.run(["events", "--json", "--lock-timeout", "1s"])
        #expect(waited.status == 0 && waited.stdout == "[]\n")
        #expect(try await cli.run(["append", file, "--lock-timeout", "0"]).status == 2)
    }

    @Test("usage errors exit 2; user errors exit 1 with one line; --help exits 0")
    func exitCodes() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let both = try await cli.run(["routes", "--seq", "1", "--at", "2026-11-27T10:00:00Z"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("give --seq or --at, not both"))
        let badTime = try await cli.run(["routes", "--at", "noon"])
        #expect(badTime.status == 2)
        let missing = try await cli.run(["routes"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "routeledger: no database at \(cli.database) (create it with `routeledger init` or `routeledger append`)\n")
        #expect(!FileManager.default.fileExists(atPath: cli.database))
        let noFile = try await cli.run(["append", "/nonexistent.jsonl"])
        #expect(noFile.status == 1)
        #expect(noFile.stderr.contains("cannot read /nonexistent.jsonl: no such file"))
        #expect(try await cli.run(["init"]).status == 0)
        let beyond = try await cli.run(["routes", "--seq", "5"])
        #expect(beyond.status == 1)
        #expect(beyond.stderr == "routeledger: seq 5 is after the last event (0)\n")
        let help = try await cli.run(["routes", "--help"], db: false)
        #expect(help.status == 0)
        #expect(help.stdout.contains("--at <time>"))
    }

    @Test("human routes output: aligned table with shares as percentages; the default cluster is _ in tables and options")
    func humanRoutes() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/01-default-backend.jsonl"]).status == 0)
        #expect(try await cli.run(["append", "data/04-canary-vip.jsonl"]).status == 0)
        let result = try await cli.run(["routes"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("""
            HOST       CLUSTER  SERVICE     UPSTREAM        TASK   SHARE  OPTIONS
            api.local  _        api         10.0.2.40:8080  (vip)  50%
                                api-canary  10.0.2.50:8080  (vip)  50%
            """))
        #expect(try await cli.run(["routes", "--cluster", "_"]).stdout == result.stdout)
        #expect(try await cli.run(["routes", "--cluster", ""]).stdout == result.stdout)
        #expect(try await cli.run(["routes", "--cluster", "edge"]).stdout.contains("No frontends."))
        let reloads = try await cli.run(["reloads", "--cluster", "_"]).stdout
        #expect(reloads == (try await cli.run(["reloads"]).stdout) && reloads.contains("  _  "))
    }
}

@Suite("routeledger reload audit commands")
struct ReloadCLITests {
    func loaded() async throws -> CLI {
        let cli = try CLI()
        for file in ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl", "04-canary-vip.jsonl"] {
            #expect(try await cli.run(["append", "data/" + file]).status == 0)
        }
        return cli
    }

    @Test("reloads --json lists each version change with its causes; --host filters")
    func reloads() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let all = try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        #expect(all.map { $0["seq"] as! Int } == [5, 6, 17, 18, 19, 20, 22, 23, 28])
        #expect(all.allSatisfy { ($0["version"] as! String).count == 64 })
        #expect(all[1]["previousVersion"] as? String == all[0]["version"] as? String)
        let demo = try json(try await cli.run(["reloads", "--json", "--host", "demo.local"]).stdout) as! [[String: Any]]
        #expect(demo.map { $0["id"] as! Int } == [2])
        let early = try json(try await cli.run(["reloads", "--json", "--until", "2026-11-27T10:00:05Z"]).stdout) as! [[String: Any]]
        #expect(early.count == 2)
    }

    @Test("why names the causing events and the change; explain gives the effect or the reason")
    func whyAndExplain() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let why = try await cli.run(["why", "7"])
        #expect(why.status == 0)
        // Names, not ids: the task as `docker service ps` shows it, the network by its name.
        #expect(why.stdout.contains("task shop-canary.1: running at 10.0.2.31"))
        #expect(why.stdout.contains("shop.local: +10.0.2.31:8080 share 25% → 20%"))
        let first = try await cli.run(["why", "1"])
        #expect(first.stdout.contains("proxy networks: +demo\n"), "\(first.stdout)")
        let firstJSON = try json(try await cli.run(["why", "1", "--json"]).stdout) as! [String: Any]
        let network = (firstJSON["diff"] as! [String: Any])["networksAdded"] as! [String]
        #expect((firstJSON["names"] as? [String: String]) == [network[0]: "demo"], "JSON keeps the ids and adds names")
        let explained = try json(try await cli.run(["explain", "11", "--json"]).stdout) as! [String: Any]
        #expect(explained["effect"] as? String == "absorbed")
        #expect(explained["reason"] as? String == "demo is in vip mode: replicas 4→6 leave upstream 10.0.2.9:8080 unchanged")
        let task = try json(try await cli.run(["explain", "7", "--json"]).stdout) as! [String: Any]
        #expect(task["summary"] as? String == "task demo.1: running at 10.0.2.10")
        #expect(task["reason"] as? String == "demo is in vip mode: task demo.1 leaves upstream 10.0.2.9:8080 unchanged")
        let names = task["names"] as? [String: String] ?? [:]
        #expect(names["demo1"] == "demo.1" && names["svc-demo"] == "demo", "\(names)")
        let reload = try json(try await cli.run(["explain", "22", "--json"]).stdout) as! [String: Any]
        #expect(reload["effect"] as? String == "reload")
        #expect(reload["reloads"] as? [Int] == [7])
        let missing = try await cli.run(["why", "99"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "routeledger: no reload 99 (the last is 9)\n")
    }

    @Test("a database written with routing rules v1: the first command rebuilds it with one note on stderr, the next says nothing")
    func rulesUpgrade() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        // The sqlite3 dump of a database that routeledger 960db3f (rules v1) wrote from the four scenarios.
        let dump = CLI.repository.appendingPathComponent("Tests/RouteLedgerStoreTests/Fixtures/rules-v1-scenarios.sql").path
        let loaded = try await Command.run("/bin/sh", ["-c", "/usr/bin/sqlite3 '\(cli.database)' < '\(dump)'"])
        #expect(loaded.status == 0, "\(loaded.output)")

        let first = try await cli.run(["reloads", "--host", "demo.local", "--json"])
        #expect(first.status == 0)
        let note = first.stderr.split(separator: "\n")
        #expect(note.count == 1)
        #expect(note.first?.hasPrefix("routeledger: note: \(cli.database): reload records and snapshots followed routing rules v1 (vip mode routed a service's VIP while at least one of its tasks ran); rebuilt them from 29 events with rules v3 in ") == true)
        #expect(note.first?.hasSuffix(" s") == true)
        #expect((try json(first.stdout) as! [[String: Any]]).map { $0["seq"] as! Int } == [6], "demo.local is routed from its creation")

        let second = try await cli.run(["verify"])
        #expect(second.stderr == "")
        #expect(second.stdout.split(separator: "\n").first?.hasSuffix("reload records follow routing rules v3") == true)
    }

    @Test("config --settle is recorded in the log: reload ids before it never change; later changes coalesce; rebuild --verify agrees")
    func settleAndVerify() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let before = try await cli.run(["reloads", "--json"]).stdout
        let why5 = try await cli.run(["why", "5"]).stdout
        let set = try await cli.run(["config", "--settle", "2s"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout == "recorded config.changed at seq 30: settle 2s, max wait 20s from here on; the 9 reloads before it keep their ids\n")
        #expect(try await cli.run(["config"]).stdout.hasSuffix("settle 2s, max wait 20s\n"))
        #expect(try await cli.run(["reloads", "--json"]).stdout == before)
        #expect(try await cli.run(["rebuild"]).status == 0)
        #expect(try await cli.run(["reloads", "--json"]).stdout == before, "a rebuild keeps every reload and its id")
        #expect(try await cli.run(["why", "5"]).stdout == why5)

        // Two more shop tasks 1 s apart coalesce into one reload, closed by an event 5 s later.
        let more = try cli.write("more.jsonl", """
            {"id":"t-shop5","type":"task.updated","time":"2026-11-27T10:01:00Z","data":{"task":{"id":"shop5","serviceId":"svc-shop","slot":5,"state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.25/24"}]}}}
            {"id":"t-shop6","type":"task.updated","time":"2026-11-27T10:01:01Z","data":{"task":{"id":"shop6","serviceId":"svc-shop","slot":6,"state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.26/24"}]}}}
            {"id":"n-later","type":"network.created","time":"2026-11-27T10:01:06Z","data":{"network":{"id":"n-later","name":"later"}}}

            """)
        #expect(try await cli.run(["append", more]).status == 0)
        let reloads = try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        #expect(reloads.count == 10)
        #expect(reloads.last?["causes"] as? [Int] == [31, 32])
        let verify = try await cli.run(["rebuild", "--verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout == "ok: 10 reloads match a replay of 33 events with routing rules v3\n")
        let setting = try json(try await cli.run(["explain", "30", "--json"]).stdout) as! [String: Any]
        #expect(setting["reason"] as? String == "reload settings from here on: settle 2s, max wait 20s; reloads before it keep their ids")
        #expect(try await cli.run(["config", "--settle", "soon"]).status == 2)
    }

    @Test("time you can trust: append warns about times that move the log's clock; events shows both times; a point before the log says so")
    func timeYouCanTrust() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let file = try cli.write("times.jsonl", """
            {"id":"a","type":"network.created","time":"2026-11-27T10:00:00Z","data":{"network":{"id":"n1","name":"one"}}}
            {"id":"b","type":"network.created","data":{"network":{"id":"n2","name":"two"}}}
            {"id":"c","type":"network.created","time":"2026-11-27T10:00:05Z","data":{"network":{"id":"n3","name":"three"}}}
            {"id":"d","type":"network.created","time":"2026-11-27T10:00:06Z","data":{"network":{"id":"n4","name":"four"}}}

            """)
        let appended = try await cli.run(["append", file])
        #expect(appended.status == 0)
        let warnings = appended.stderr.split(separator: "\n").map(String.init)
        #expect(warnings.count == 2, "\(appended.stderr)")
        #expect(warnings.first == "routeledger: warning: 1 event has no time after events that had one (first: line 2): each got the time it was recorded, and every later event with an earlier time got that as its log time; give every event a time")
        #expect(warnings.last?.hasPrefix("routeledger: warning: 2 events' times are before the log time they got (first: line 3, ") == true)
        let table = try await cli.run(["events"]).stdout.split(separator: "\n").map(String.init)
        #expect(table[0].hasPrefix("SEQ  LOG TIME"))
        #expect(table[0].contains(" TIME ") && table[1].split(separator: " ").contains("="), "an event on its log time shows =: \(table)")
        #expect(table[3].contains("2026-11-27T10:00:05Z  network.created"), "event c shows its own time beside the log time: \(table[3])")
        // A well-timed input warns about nothing.
        #expect(try await cli.run(["append", "data/01-default-backend.jsonl", "--db", cli.directory.appendingPathComponent("clean.db").path], db: false).stderr.isEmpty)

        // Before the first event: routes says so; render refuses.
        let loaded = try await loaded()
        defer { loaded.cleanUp() }
        let before = try await loaded.run(["routes", "--at", "2026-01-01T00:00:00Z"])
        #expect(before.stdout.hasPrefix("Routing at seq 0: before the first event (2026-11-27T10:00:00.5Z); nothing is routed yet"))
        let render = try await loaded.run(["render", "nginx", "--at", "2026-01-01T00:00:00Z"])
        #expect(render.status == 1 && render.stdout.isEmpty)
        #expect(render.stderr == "routeledger: --at 2026-01-01T00:00:00Z is before the first event (2026-11-27T10:00:00.5Z): there is no configuration to render there\n")
    }

    @Test("replay and diff take the same window: the events from A through B, both included, by seq or by log time")
    func windows() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        // 10:00:07.7 to 10:00:08.6 holds events 16 (08.0) and 17 (08.5), not 15 (07.5).
        let replay = try json(try await cli.run(["replay", "--from", "2026-11-27T10:00:07.7Z", "--to", "2026-11-27T10:00:08.6Z", "--json"]).stdout) as! [[String: Any]]
        #expect(replay.map { $0["seq"] as! Int } == [16, 17])
        let diff = try json(try await cli.run(["diff", "--from", "2026-11-27T10:00:07.7Z", "--to", "2026-11-27T10:00:08.6Z", "--json"]).stdout) as! [String: Any]
        #expect(diff["from"] as? Int == 16 && diff["to"] as? Int == 17)
        // By seq: event 17 is in its own window, and its reload is the diff of that window.
        let one = try json(try await cli.run(["diff", "--from", "17", "--to", "17", "--json"]).stdout) as! [String: Any]
        let added = ((one["clusters"] as! [[String: Any]])[0]["diff"] as! [String: Any])["frontendsAdded"] as! [[String: Any]]
        #expect(added.map { $0["host"] as! String } == ["shop.local"])
        // A window after the log holds nothing, and says so.
        for command in ["replay", "diff"] {
            let after = try await cli.run([command, "--from", "2026-11-28T00:00:00Z", "--to", "2026-11-29T00:00:00Z"])
            #expect(after.status == 0 && after.stdout == "No events in that window.\n", "\(command): \(after.stdout)")
        }
        #expect(try await cli.run(["replay", "--from", "2026-11-28T00:00:00Z", "--to", "2026-11-27T00:00:00Z"]).status == 1)
    }

    @Test("queries that filter: reloads --last and --since 15m, events --type, global options before the command, --version, suggestions")
    func filters() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let last = try json(try await cli.run(["reloads", "--last", "2", "--json"]).stdout) as! [[String: Any]]
        #expect(last.map { $0["id"] as! Int } == [8, 9])
        // The log's times are in 2026-11-27: nothing in the last 15 minutes, everything in the last 1000 hours.
        let recent = try await cli.run(["reloads", "--since", "15m"])
        #expect(recent.stdout == "No reloads.\n")
        let all = try await cli.run(["reloads", "--since", "100000h", "--json"])
        #expect((try json(all.stdout) as! [Any]).count == 9)
        #expect(try await cli.run(["reloads", "--since", "lately"]).stderr.contains("is not an RFC 3339 time (e.g. 2026-11-27T10:00:03Z) or a duration ago (e.g. 15m, 2h)"))
        let created = try json(try await cli.run(["events", "--type", "service.created", "--type", "network.created", "--json"]).stdout) as! [[String: Any]]
        #expect(created.map { $0["seq"] as! Int } == [1, 2, 3, 6, 16, 21, 23, 28])
        let shopEvents = try json(try await cli.run(["events", "--service", "shop", "--json"]).stdout) as! [[String: Any]]
        #expect(shopEvents.map { $0["seq"] as! Int } == [16, 17, 18, 19, 20], "the service and its tasks, not its canary's")
        let typo = try await cli.run(["events", "--type", "task.updatd"])
        #expect(typo.status == 2 && typo.stderr.contains("did you mean task.updated?"))
        // Global options before the subcommand, as docker and git take them.
        let first = try await cli.run(["--db", cli.database, "--log-level", "error", "reloads", "--last", "1"], db: false)
        let after = try await cli.run(["reloads", "--last", "1"])
        #expect(first.status == 0 && first.stdout == after.stdout)
        #expect(try await cli.run(["--db=\(cli.database)", "routes", "--json"], db: false).status == 0)
        let version = try await cli.run(["--version"], db: false)
        #expect(version.status == 0 && version.stdout == "routeledger 0.12.0 (event format v1, routing rules v3)\n")
        // routes --host and --service: one frontend, or one service's part of each.
        let shop = try await cli.run(["routes", "--host", "SHOP.local"])
        #expect(shop.stdout.contains("shop.local  _        shop") && !shop.stdout.contains("api.local") && !shop.stdout.contains("503"))
        let canary = try json(try await cli.run(["routes", "--service", "api-canary", "--json"]).stdout) as! [String: Any]
        let frontends = canary["frontends"] as! [[String: Any]]
        #expect(frontends.map { $0["host"] as! String } == ["api.local"])
        #expect((frontends[0]["upstreams"] as! [[String: Any]]).map { $0["address"] as! String } == ["10.0.2.50:8080"], "only its upstreams, at their share")
        let unknown = try await cli.run(["rotues"], db: false)
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "routeledger: unknown command \"rotues\"; did you mean routes? (routeledger --help lists them)\n")
    }

    @Test("a reload by its version, as a proxy's x-server-info shows it; a version reached again names both reloads")
    func reloadByVersion() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let all = try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        let seventh = all[6]["version"] as! String
        let why = try await cli.run(["why", String(seventh.prefix(12))])
        #expect(why.status == 0 && why.stdout.hasPrefix("Reload 7 of cluster _"), "\(why.stderr)")
        let listed = try json(try await cli.run(["reloads", "--version", String(seventh.prefix(6)).uppercased(), "--json"]).stdout) as! [[String: Any]]
        #expect(listed.map { $0["id"] as! Int } == [7])
        #expect(try await cli.run(["why", "3e3"]).status == 2, "too short to name a version")
        #expect(try await cli.run(["why", "shop"]).stderr.contains("is neither a reload id nor a version"))
        let none = try await cli.run(["why", String(repeating: "0", count: 63) + "1"])
        #expect(none.status == 1 && none.stderr.contains("no reload reached a version starting with"))
        // shop.4 drains, and a new task takes slot 4 at the same address: the configuration of reload 9 again.
        let task = #"{"id":"%@","type":"task.updated","time":"2026-11-27T10:01:0%@Z","data":{"task":{"id":"%@","serviceId":"svc-shop","slot":4,"state":"running","desiredState":"%@","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.24/24"}]}}}"#
        let lines = [String(format: task, "shop4-drain", "1", "shop4", "shutdown"), String(format: task, "shop4b-up", "2", "shop4b", "running")]
        #expect(try await cli.run(["append", "-"], stdin: lines.joined(separator: "\n")).status == 0)
        let ninth = all[8]["version"] as! String
        let again = try await cli.run(["why", String(ninth.prefix(12))])
        #expect(again.stdout.hasPrefix("Reload 11 of cluster _"), "\(again.stdout)")
        #expect(again.stderr == "routeledger: note: version \(ninth.prefix(12)) was also reached by reload 9; showing the latest, 11\n")
        #expect(again.stdout.contains("task shop.4 (shop4b): running at 10.0.2.24"), "the slot's old task is still listed: the id tells them apart")
    }

    @Test("long lists stop at --limit (100 in a table) and say on stderr how many they left out; JSON is whole")
    func limits() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let three = try await cli.run(["reloads", "--limit", "3"])
        #expect(three.stdout.split(separator: "\n").count == 4, "a header and three rows")
        #expect(three.stderr == "routeledger: note: 6 more reloads not shown; --limit 0 shows them all, --last N the newest\n")
        #expect(try await cli.run(["reloads", "--limit", "0"]).stdout.split(separator: "\n").count == 10)
        let shop = try await cli.run(["events", "--service", "shop", "--limit", "2"])
        #expect(shop.stderr == "routeledger: note: 3 more events not shown; --limit 0 shows them all, --after 17 the next ones\n")
        let timeline = try await cli.run(["timeline", "--host", "shop.local", "--limit", "2"])
        #expect(timeline.stderr == "routeledger: note: 3 more entries not shown; --limit 0 shows them all, --last N the newest\n")
        let newest = try await cli.run(["timeline", "--host", "shop.local", "--last", "1"])
        #expect(newest.stdout.split(separator: "\n").count == 2 && newest.stdout.contains("  7       22  "), "\(newest.stdout)")
        let networks = (1...150).map { i in
            #"{"id":"n\#(i)","type":"network.created","time":"2026-11-27T11:00:00Z","data":{"network":{"id":"net\#(i)","name":"net\#(i)"}}}"#
        }
        #expect(try await cli.run(["append", "-"], stdin: networks.joined(separator: "\n")).status == 0)
        let table = try await cli.run(["events"])
        #expect(table.stdout.split(separator: "\n").count == 101)
        #expect(table.stderr == "routeledger: note: 79 more events not shown; --limit 0 shows them all, --after 100 the next ones\n")
        let typed = try await cli.run(["events", "--type", "network.created", "--limit", "10"])
        #expect(typed.stderr.hasPrefix("routeledger: note: 142 more events not shown"), "counted by type: \(typed.stderr)")
        let whole = try json(try await cli.run(["events", "--json"]).stdout) as! [Any]
        #expect(whole.count == 179)
        #expect(try await cli.run(["events", "--limit", "0"]).stdout.split(separator: "\n").count == 180)
    }

    @Test("diff, timeline and replay tell the same story from three sides")
    func history() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let diff = try json(try await cli.run(["diff", "--from", "10", "--to", "25", "--json"]).stdout) as! [String: Any]
        let clusters = diff["clusters"] as! [[String: Any]]
        let change = clusters[0]["diff"] as! [String: Any]
        #expect((change["frontendsAdded"] as! [[String: Any]]).map { $0["host"] as! String } == ["api.local", "shop.local"])
        let timeline = try json(try await cli.run(["timeline", "--host", "shop.local", "--json"]).stdout) as! [[String: Any]]
        #expect(timeline.map { ($0["upstreams"] as! [String]).count } == [1, 2, 3, 4, 5])
        #expect(timeline.last?["reload"] as? Int == 7)
        let replay = try json(try await cli.run(["replay", "--from", "20", "--to", "23", "--json"]).stdout) as! [[String: Any]]
        // 20: shop4 runs; 21: shop-canary (task mode) has no task yet; 22: its task runs; 23: api (vip mode) is created.
        #expect(replay.map { $0["effect"] as! String } == ["reload", "absorbed", "reload", "reload"])
        #expect(replay[1]["reason"] as? String == "service shop-canary has no running task yet")
        let backwards = try await cli.run(["replay", "--from", "23", "--to", "20"])
        #expect(backwards.status == 1)
    }

    @Test("render nginx prints the config of a point; its version is the reload's; bad options exit 2")
    func renderNginx() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let now = try await cli.run(["render", "nginx", "--port", "8080"])
        #expect(now.status == 0, "\(now.stderr)")
        #expect(now.stdout.contains("listen 8080 default_server;"))
        #expect(now.stdout.contains("server_name shop.local;"))
        let reloads = try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        let last = reloads.last!["version"] as! String
        #expect(now.stdout.contains("# config version: \(last)\n"))
        // Before the first service: no frontends, 503 for every host, and a note saying so.
        let early = try await cli.run(["render", "nginx", "--seq", "3"])
        #expect(early.status == 0)
        #expect(early.stdout.contains("return 503;"))
        #expect(!early.stdout.contains("upstream "))
        #expect(early.stderr.contains("routes nothing at seq 3"))
        #expect(try await cli.run(["render", "nginx", "--port", "0"]).status == 2)
        #expect(try await cli.run(["render", "nginx", "--seq", "999"]).status == 1)
    }

    @Test("TLS labels through the CLI: routes shows them, why names the certificate change, render nginx takes the TLS options; bad ones exit 2 naming the option")
    func tlsLabels() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let update = #"{"id":"svc-shop-tls","type":"service.updated","time":"2026-11-28T00:00:00Z","data":{"service":{"id":"svc-shop","name":"shop","labels":{"com.docker.lb.hosts":"shop.local","com.docker.lb.port":"8080","com.docker.lb.ssl_cert":"shop-2026","com.docker.lb.ssl_key":"shop-2026-key","com.docker.lb.ssl_only":"true"},"replicas":4,"networks":["jed11c1x685a1r8acirk2ylol"],"vips":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.20/24"}],"image":"example/shop:1.0"}}}"#
        #expect(try await cli.run(["append", try cli.write("tls.jsonl", update + "\n")]).status == 0)

        let routes = try await cli.run(["routes", "--host", "shop.local"])
        #expect(routes.stdout.contains("tls=shop-2026 ssl_only"), "\(routes.stdout)")
        let frontends = (try json(try await cli.run(["routes", "--json"]).stdout) as! [String: Any])["frontends"] as! [[String: Any]]
        let shop = frontends.first { $0["host"] as? String == "shop.local" }!
        #expect((shop["tls"] as? [String: Any]).map(NSDictionary.init(dictionary:)) == NSDictionary(dictionary: [
            "cert": "shop-2026", "key": "shop-2026-key", "only": true, "backend": false, "verify": "none", "passthrough": false,
        ]))
        #expect(frontends.first { $0["host"] as? String == "api.local" }?["tls"] is NSNull)

        let reloads = try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        let why = try await cli.run(["why", String(reloads.last!["id"] as! Int)])
        #expect(why.stdout.contains("shop.local: TLS certificate none → shop-2026"), "\(why.stdout)")
        #expect(why.stdout.contains("shop.local: ssl_only false → true"), "\(why.stdout)")

        let render = try await cli.run(["render", "nginx", "--secrets-dir", "/srv/secrets/", "--tls-port", "8443"])
        #expect(render.status == 0, "\(render.stderr)")
        #expect(render.stdout.contains("        ssl_certificate /srv/secrets/shop-2026;\n"))
        #expect(render.stdout.contains("        return 301 https://$host:8443$request_uri;\n"))
        for (option, value, message) in [("--secrets-dir", "secrets", "--secrets-dir \"secrets\" is not an absolute path"),
                                         ("--tls-port", "0", "--tls-port 0 is not a port from 1 to 65535"),
                                         ("--stream-module", "mod;x", "--stream-module \"mod;x\" is not none or an absolute path")] {
            let bad = try await cli.run(["render", "nginx", option, value])
            #expect(bad.status == 2 && bad.stderr.contains(message), "\(option) \(value): \(bad.status) \(bad.stderr)")
            #expect(bad.stdout.isEmpty)
        }
    }

    @Test("report --html writes one self-contained file for a host or every host; bad ranges exit 1 and write nothing")
    func htmlReport() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let file = cli.directory.appendingPathComponent("shop.html").path
        let one = try await cli.run(["report", "--html", file, "--host", "shop.local", "--from", "18"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stderr == "routeledger: note: wrote \(file): 1 host, 3 reloads\n")
        let html = try String(contentsOfFile: file, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>") && html.contains("<h1 id=\"host-shop-local-title\">shop.local"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link rel=\"stylesheet\""))
        #expect(html.contains("id=\"reload-7\"") && html.contains("task shop-canary.1: running at 10.0.2.31"))

        let all = cli.directory.appendingPathComponent("all.html").path
        let every = try await cli.run(["report", "--html", all])
        #expect(every.status == 0 && every.stderr.contains("report: shop.local (3 of 3)"), "\(every.stderr)")
        #expect(try String(contentsOfFile: all, encoding: .utf8).components(separatedBy: "<section class=\"host\"").count - 1 == 3)

        let bad = cli.directory.appendingPathComponent("bad.html").path
        for (arguments, message) in [(["--from", "99"], "--from 99: seq 99 is after the last event (29)"),
                                     (["--from", "20", "--to", "10"], "--from (seq 20) is after --to (seq 10)"),
                                     (["--to", "soon"], "--to soon: is neither a position")] {
            let refused = try await cli.run(["report", "--html", bad] + arguments)
            #expect(refused.status == 1 && refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: bad))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).allSatisfy { !$0.hasSuffix(".tmp") })
    }

    @Test("why and timeline say which proxies applied or refused a reload")
    func proxyReports() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let reloads = try json(try await cli.run(["reloads", "--json", "--host", "shop.local"]).stdout) as! [[String: Any]]
        let last = reloads.last!, version = last["version"] as! String, id = last["id"] as! Int
        let reports = """
            {"id":"r1","type":"proxy.applied","data":{"cluster":"","version":"\(version)","proxy":"edge-1"}}
            {"id":"r2","type":"proxy.rejected","data":{"cluster":"","version":"\(version)","proxy":"edge-2","error":"nginx: [emerg] test"}}
            {"id":"r3","type":"proxy.applied","data":{"cluster":"edge","version":"\(version)","proxy":"other-cluster"}}
            """
        #expect(try await cli.run(["append", try cli.write("reports.jsonl", reports)]).status == 0)
        let why = try json(try await cli.run(["why", String(id), "--json"]).stdout) as! [String: Any]
        let proxies = why["proxies"] as! [[String: Any]]
        #expect(proxies.map { $0["proxy"] as! String } == ["edge-1", "edge-2"])
        #expect(proxies.map { $0["outcome"] as! String } == ["applied", "rejected"])
        #expect(proxies[1]["error"] as? String == "nginx: [emerg] test")
        let human = try await cli.run(["why", String(id)]).stdout
        #expect(human.contains("edge-1 applied (seq 30"))
        #expect(human.contains("edge-2 rejected: nginx: [emerg] test"))
        let timeline = try json(try await cli.run(["timeline", "--host", "shop.local", "--json"]).stdout) as! [[String: Any]]
        #expect(timeline.last?["appliedBy"] as? [String] == ["edge-1"])
        #expect(timeline.first?["appliedBy"] as? [String] == [])
    }

    @Test("serve refuses a non-loopback address without a token; agent --once names an unreachable server; bad options exit 2")
    func serveAndAgentErrors() async throws {
        let cli = try await loaded()
        defer { cli.cleanUp() }
        let open = try await cli.run(["serve", "--listen", "0.0.0.0:7999"])
        #expect(open.status == 1)
        #expect(open.stderr == "routeledger: refusing to listen on 0.0.0.0 without a token: give --token-file PATH, or listen on 127.0.0.1\n")
        #expect(try await cli.run(["serve", "--listen", "nowhere"]).status == 2)
        #expect(try await cli.run(["serve", "--token-file", cli.directory.appendingPathComponent("missing").path]).status == 1)
        let agent = try await cli.run(["agent", "--server", "http://127.0.0.1:9", "--nginx-conf", cli.directory.appendingPathComponent("nginx.conf").path,
                                 "--once", "--wait", "1s"], db: false)
        #expect(agent.status == 1)
        #expect(agent.stderr == "routeledger: cannot reach http://127.0.0.1:9: connection refused (is the server running?)\n")
        #expect(try await cli.run(["agent", "--server", "127.0.0.1:7420", "--nginx-conf", "x.conf"], db: false).status == 2)
    }
}
