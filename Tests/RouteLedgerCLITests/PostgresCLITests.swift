import Foundation
import Testing
import TestSupport

/// `routeledger` on PostgreSQL, against a real server (the test support's throwaway cluster): the same
/// answers as on SQLite, copies, roles, and failures (a killed appender, a killed server) that leave all or
/// nothing. Concurrent writers: `CLITests.concurrentWriters`, on both engines.
@Suite("routeledger on PostgreSQL", .enabled(if: PostgresServer.shouldRun))
struct PostgresCLITests {
    /// Every read command, with and without --json, as an operator would run them on the loaded log.
    static let readCommands: [[String]] = [
        ["routes"], ["routes", "--json"], ["routes", "--seq", "15"], ["routes", "--at", "2026-11-27T10:00:09Z", "--json"],
        ["render", "nginx"], ["render", "nginx", "--seq", "20"],
        ["reloads"], ["reloads", "--json"], ["reloads", "--host", "shop.local"],
        ["why", "2"], ["why", "7", "--json"], ["explain", "7"], ["explain", "21", "--json"],
        ["diff", "--from", "10", "--to", "25"], ["diff", "--from", "10", "--to", "2000", "--json"],
        ["timeline", "--host", "shop.local"], ["timeline", "--host", "demo.local", "--json"],
        ["replay", "--from", "20", "--to", "40"], ["replay", "--from", "1", "--to", "300", "--json"],
        ["config"], ["rebuild", "--verify"],
    ]

    /// The scenarios of data/ and 3,000 simulated events, as files.
    static func inputs(_ cli: CLI) async throws -> [String] {
        let simulated = cli.directory.appendingPathComponent("simulated.jsonl").path
        let generated = try await SimulatorCLITests.run(["--events", "3000", "--seed", "11", "--id-prefix", "sim-", "--out", simulated])
        #expect(generated.status == 0, "\(generated.stderr)")
        return ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl", "04-canary-vip.jsonl"].map { "data/" + $0 } + [simulated]
    }

    @Test("every read command answers the same bytes on SQLite and PostgreSQL; a copied log is the same to the last hash")
    func sameAnswers() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let server = try await PostgresServer.shared()
        let postgres = try await server.createDatabase()
        for file in try await Self.inputs(cli) {
            #expect(try await cli.run(["append", file]).status == 0)
            let appended = try await cli.run(["append", file, "--db", postgres], db: false)
            #expect(appended.status == 0, "\(appended.stderr)")
        }
        for command in Self.readCommands {
            let sqlite = try await cli.run(command)
            let pg = try await cli.run(command + ["--db", postgres], db: false)
            #expect(sqlite.status == 0 && pg.status == 0, "\(command): \(sqlite.stderr) \(pg.stderr)")
            #expect(!sqlite.stdout.isEmpty)
            #expect(sqlite.stdout == pg.stdout, "routeledger \(command.joined(separator: " "))")
        }
        // Appended separately, the events differ in their recording times, and so in their hashes, only.
        func withoutRecording(_ output: String) throws -> [[String: String]] {
            try (json(output) as! [[String: Any]]).map { event in
                var event = event
                event["recordedAt"] = nil
                event["hash"] = nil
                return try event.mapValues { value in
                    String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
                }
            }
        }
        let events = try await cli.run(["events", "--json"]).stdout
        #expect(try withoutRecording(events) == withoutRecording(try await cli.run(["events", "--json", "--db", postgres], db: false).stdout))

        // A copy keeps recording times and hashes: everything is the same, verify's anchor included.
        let copy = try await server.createDatabase()
        let copied = try await cli.run(["copy", "--from", cli.database, "--to", copy], db: false)
        #expect(copied.status == 0, "\(copied.stderr)")
        for command in Self.readCommands + [["events", "--json"], ["events", "--after", "3000"], ["verify"], ["verify", "--json"]] {
            let sqlite = try await cli.run(command)
            let pg = try await cli.run(command + ["--db", copy], db: false)
            #expect(sqlite.status == 0 && sqlite.stdout == pg.stdout, "routeledger \(command.joined(separator: " "))")
        }
    }

    @Test("copy refuses a target that is not a prefix of the source, and continues one that is")
    func copyPrefix() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let server = try await PostgresServer.shared()
        let target = try await server.createDatabase()
        #expect(try await cli.run(["append", "data/01-default-backend.jsonl"]).status == 0)
        #expect(try await cli.run(["copy", "--from", cli.database, "--to", target], db: false).status == 0)
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl"]).status == 0)
        let more = try await cli.run(["copy", "--from", cli.database, "--to", target], db: false)
        #expect(more.stdout.hasPrefix("copied 10 events from \(cli.database) to \(target) after the 5 it held; last seq 15"), "\(more.stdout)\(more.stderr)")

        let other = try await server.createDatabase()
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl", "--db", other], db: false).status == 0)
        let refused = try await cli.run(["copy", "--from", cli.database, "--to", other], db: false)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("routeledger: refusing to copy: \(other) is not empty and its event 10 differs from the source's"), "\(refused.stderr)")
        #expect(try await cli.run(["events", "--db", other, "--json"], db: false).stdout.components(separatedBy: "\"seq\"").count - 1 == 10,
                "the refused target is unchanged")
    }

    @Test("an appender killed with SIGKILL mid-batch leaves all or nothing, and the next writer goes on")
    func appenderKilled() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let server = try await PostgresServer.shared()
        let big = try await Self.bigInput(cli)
        // Mid-batch: it holds the writer lock, inside its transaction.
        guard let (appender, url) = try await Self.appendCaughtMidBatch(cli, server, big) else { return }
        kill(appender.pid, SIGKILL)
        appender.stop()
        let last = try await Self.lastSeq(cli, url)
        #expect(last == 0 || last == 100_000, "all or nothing, found \(last)")
        #expect(try await cli.run(["verify", "--db", url], db: false).status == 0)
        let next = try await cli.run(["append", "data/01-default-backend.jsonl", "--db", url, "--json", "--lock-timeout", "60s"], db: false)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try await Self.lastSeq(cli, url) == last + 5)
    }

    @Test("the server killed with SIGKILL during an append: the append fails with one line or completes whole; after a restart the next command just works")
    func serverKilled() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        // A server of its own: this test kills it.
        let server = try await PostgresServer()
        defer { server.stop() }
        let big = try await Self.bigInput(cli)
        guard let (appender, url) = try await Self.appendCaughtMidBatch(cli, server, big) else { return }
        server.kill(signal: SIGKILL)
        #expect(await Patience.wait { !appender.isRunning })
        let output = appender.output
        let lines = output.split(separator: "\n")
        if lines.isEmpty || !output.hasPrefix("appended") {
            #expect(lines.count == 1 && output.hasPrefix("routeledger: \(url): "), "one line naming the log: \(output)")
            #expect(!output.contains("Error(") && !output.contains("PSQLError"), "no driver dump: \(output)")
        }
        try await server.restart()
        let last = try await Self.lastSeq(cli, url)
        #expect(last == 0 || last == 100_000, "all or nothing, found \(last)")
        #expect(try await cli.run(["verify", "--db", url], db: false).status == 0)
        let next = try await cli.run(["append", "data/01-default-backend.jsonl", "--db", url], db: false)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try await Self.lastSeq(cli, url) == last + 5)
    }

    @Test("a bad URL or an unreachable server is one line naming the host; the password never shows")
    func connectionErrors() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let port = try freeLoopbackPort()
        let refused = try await cli.run(["routes", "--db", "postgres://bob:s3cret@127.0.0.1:\(port)/routes"], db: false)
        #expect(refused.status == 1)
        #expect(refused.stderr == "routeledger: postgres://bob@127.0.0.1:\(port)/routes: cannot connect to 127.0.0.1:\(port): connection refused\n")
        let malformed = try await cli.run(["routes", "--db", "postgres://bob:s3cret@127.0.0.1:\(port)/routes?sslmode=sometimes"], db: false)
        #expect(malformed.status == 1)
        #expect(malformed.stderr == "routeledger: postgres://bob:***@127.0.0.1:\(port)/routes?sslmode=sometimes: sslmode=sometimes is not one of disable, prefer, require, verify-ca, verify-full\n")
        let noDatabase = try await cli.run(["routes", "--db", "postgresql://bob:s3cret@localhost"], db: false)
        #expect(noDatabase.stderr == "routeledger: postgresql://bob:***@localhost: names no database (postgres://USER@HOST/DATABASE)\n")
        let server = try await PostgresServer.shared()
        let unknown = try await cli.run(["routes", "--db", "postgres://nobody:s3cret@127.0.0.1:\(server.port)/postgres"], db: false)
        #expect(unknown.stderr == "routeledger: postgres://nobody@127.0.0.1:\(server.port)/postgres: role \"nobody\" does not exist (SQLSTATE 28000)\n")
        // Over the unix socket, and a read command on a database that holds no log yet.
        let empty = await PostgresServer.database(of: try server.createDatabase())
        let missing = try await cli.run(["routes", "--db", server.socketURL(empty)], db: false)
        #expect(missing.stderr == "routeledger: no RouteLedger log in postgres://\(PostgresServer.superuser)@/\(empty)?host=\(server.directory)&port=\(server.port) yet (create it with `routeledger init` or `routeledger append`)\n")
        for result in [refused, malformed, noDatabase, unknown] { #expect(!result.stderr.contains("s3cret")) }
    }

    @Test("the roles of docs/POSTGRES.md: a writer appends but cannot change or remove events; a reader reads and cannot append")
    func roles() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let server = try await PostgresServer.shared()
        let owner = try await server.createDatabase()
        let database = PostgresServer.database(of: owner)
        #expect(try await cli.run(["init", "--db", owner], db: false).status == 0)
        let writer = "\(database)_writer", reader = "\(database)_reader"
        // The grants as the document gives them (trust authentication here: no passwords).
        try await server.psql(database, """
            CREATE ROLE \(writer) LOGIN;
            GRANT CONNECT ON DATABASE \(database) TO \(writer);
            GRANT USAGE ON SCHEMA public TO \(writer);
            GRANT SELECT, INSERT ON events TO \(writer);
            GRANT SELECT, INSERT, UPDATE, DELETE ON reloads, snapshots, projection_state TO \(writer);
            GRANT SELECT ON routeledger_migrations TO \(writer);
            GRANT pg_read_all_stats TO \(writer);
            CREATE ROLE \(reader) LOGIN;
            GRANT CONNECT ON DATABASE \(database) TO \(reader);
            GRANT USAGE ON SCHEMA public TO \(reader);
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(reader);
            """)
        let asWriter = "postgres://\(writer)@127.0.0.1:\(server.port)/\(database)"
        let asReader = "postgres://\(reader)@127.0.0.1:\(server.port)/\(database)"
        let appended = try await cli.run(["append", "data/01-default-backend.jsonl", "--db", asWriter], db: false)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(try await cli.run(["rebuild", "--db", asWriter], db: false).status == 0)
        for statement in ["UPDATE events SET type = 'x'", "DELETE FROM events", "TRUNCATE events"] {
            await #expect(throws: (any Error).self, "\(statement) as the writer") { try await server.psql(database, statement, user: writer) }
        }
        let read = try await cli.run(["routes", "--db", asReader], db: false)
        #expect(read.status == 0 && read.stdout.contains("demo-default"), "\(read.stderr)")
        let refused = try await cli.run(["append", "data/02-vip-demo.jsonl", "--db", asReader], db: false)
        #expect(refused.status == 1)
        #expect(refused.stderr == "routeledger: \(asReader): permission denied for table events (SQLSTATE 42501)\n")
        #expect(try await Self.lastSeq(cli, owner) == 5)
    }

    // MARK: - Helpers

    /// 100,000 simulated events: an append long enough to interrupt.
    static func bigInput(_ cli: CLI) async throws -> String {
        let big = cli.directory.appendingPathComponent("big.jsonl").path
        let generated = try await SimulatorCLITests.run(["--events", "100000", "--seed", "9", "--id-prefix", "big-", "--out", big])
        #expect(generated.status == 0)
        return big
    }

    static func lastSeq(_ cli: CLI, _ url: String) async throws -> Int {
        let result = try await cli.run(["verify", "--json", "--db", url], db: false)
        guard result.status == 0, let report = try? json(result.stdout) as? [String: Any], let last = report["lastSeq"] as? Int else {
            Issue.record("verify failed: \(result.stderr)")
            return -1
        }
        return last
    }

    /// `routeledger append big` into a fresh log on `server`, caught while it holds the writer lock (inside its
    /// transaction): the appender and the log's URL. A loaded machine can run the whole append between two
    /// looks; then it tries again on another fresh log, and after three misses records the failure (nil).
    static func appendCaughtMidBatch(_ cli: CLI, _ server: PostgresServer, _ big: String) async throws -> (BackgroundProcess, String)? {
        for attempt in 1...3 {
            let url = try await server.createDatabase()
            #expect(try await cli.run(["init", "--db", url], db: false).status == 0)
            let log = cli.directory.appendingPathComponent("append-\(attempt).log").path
            let appender = try BackgroundProcess(CLI.executable.path, ["append", big, "--db", url], logPath: log)
            var held = false
            #expect(try await Patience.wait {
                held = try await writerLockHeld(server, url)
                return held || !appender.isRunning
            })
            if held { return (appender, url) }
            appender.stop()
            print("appendCaughtMidBatch: attempt \(attempt): the append ended before it was seen holding the lock")
        }
        Issue.record("three appends of 100,000 events each ended before one was seen holding the writer lock")
        return nil
    }

    /// Whether a RouteLedger backend holds the log's writer lock (the advisory lock, granted).
    static func writerLockHeld(_ server: PostgresServer, _ url: String) async throws -> Bool {
        let count = try await server.psql(PostgresServer.database(of: url), """
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'routeledger%'
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """)
        return count.trimmingCharacters(in: .whitespacesAndNewlines) != "0"
    }
}
