import Foundation
import Testing
import TestSupport

/// Several `serve` replicas on one PostgreSQL log (issue 12): an append anywhere wakes every replica's
/// long-polls through LISTEN/NOTIFY, a replica whose listener is cut listens again and misses nothing, and
/// `/readyz` says whether a replica can serve.
@Suite("replicated serving on PostgreSQL", .enabled(if: PostgresServer.shouldRun))
struct ReplicaCLITests {
    /// A service on `host` with one running task: one reload of the default cluster.
    static func published(_ name: String, host: String, ip: String) -> String {
        [#"{"id":"\#(name)-created","type":"service.created","time":"2026-11-27T12:00:00Z","data":{"service":{"id":"s-\#(name)","name":"\#(name)","labels":{"com.docker.lb.hosts":"\#(host)","com.docker.lb.port":"80"},"networks":["jed11c1x685a1r8acirk2ylol"]}}}"#,
         #"{"id":"\#(name)-running","type":"task.updated","time":"2026-11-27T12:00:01Z","data":{"task":{"id":"\#(name)-t1","serviceId":"s-\#(name)","slot":1,"state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"\#(ip)/24"}]}}}"#,
        ].joined(separator: "\n") + "\n"
    }

    /// A replica: `serve` on `database`, polling only once an hour, so that nothing but a notification
    /// wakes it within a test.
    struct Replica {
        let process: BackgroundProcess
        let base: String

        init(_ cli: CLI, database: String, name: String, token: String) async throws {
            let port = try freeLoopbackPort()
            base = "http://127.0.0.1:\(port)"
            process = try BackgroundProcess(CLI.executable.path, ["serve", "--db", database, "--listen", "127.0.0.1:\(port)", "--poll", "1h",
                                                                  "--token-file", token],
                                            logPath: cli.directory.appendingPathComponent("\(name).log").path)
            let base = base
            #expect(try await Patience.wait { try await curl(["\(base)/healthz"]).contains("ok") }, "\(name) listens")
        }

        /// The current version of the default cluster's configuration.
        func etag() async throws -> String {
            let head = try await curl(["-D", "-", "-o", "/dev/null", "\(base)/v1/clusters/_/nginx.conf"])
            return try #require(head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }?.dropFirst(5)
                .trimmingCharacters(in: .whitespaces))
        }

        /// A long-poll holding `etag`, in the background: its output is the HTTP status.
        func longPoll(holding etag: String, _ cli: CLI, name: String) async throws -> BackgroundProcess {
            let poll = try BackgroundProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)",
                                                               "\(base)/v1/clusters/_/nginx.conf?wait=300s"],
                                             logPath: cli.directory.appendingPathComponent("\(name).out").path)
            let base = base
            #expect(try await Patience.wait { try await curl(["\(base)/metrics"]).contains("routeledger_watchers 1.0") },
                    "the long-poll waits on the replica")
            return poll
        }

        func metric(_ name: String) async throws -> String? {
            try await curl(["\(base)/metrics"]).split(separator: "\n").first { $0.hasPrefix(name + " ") }
                .map { String($0.dropFirst(name.count + 1)) }
        }
    }

    /// Replicas `a` and `b` on `database`, writes with the token in the file `token`.
    static func twoReplicas(_ cli: CLI, database: String) async throws -> (Replica, Replica) {
        let token = try cli.write("token", "replica-token\n")
        return (try await Replica(cli, database: database, name: "a", token: token), try await Replica(cli, database: database, name: "b", token: token))
    }

    @Test("an append through replica A, or by the CLI, answers a long-poll on replica B; B's listener cut off listens again and misses nothing")
    func everyReplicaWakes() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let server = try await PostgresServer.shared()
        let database = try await server.createDatabase()
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl", "--db", database], db: false).status == 0)
        let (a, b) = try await Self.twoReplicas(cli, database: database)
        defer { a.process.stop(); b.process.stop() }
        #expect(try await curl(["\(b.base)/readyz"]) == "ready: seq 10\n")

        // 1. Through replica A.
        let first = try await b.longPoll(holding: try await b.etag(), cli, name: "poll-1")
        defer { first.stop() }
        let posted = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer replica-token",
                                          "--data-binary", Self.published("one", host: "one.local", ip: "10.0.2.61"), "\(a.base)/v1/events"])
        #expect(posted == "201")
        #expect(await Patience.wait { !first.isRunning }, "B's long-poll was answered")
        #expect(first.output == "200", "B served the new version")

        // 2. By the CLI, no server involved.
        let second = try await b.longPoll(holding: try await b.etag(), cli, name: "poll-2")
        defer { second.stop() }
        #expect(try await cli.run(["append", "-", "--db", database], stdin: Self.published("two", host: "two.local", ip: "10.0.2.62"), db: false).status == 0)
        #expect(await Patience.wait { !second.isRunning })
        #expect(second.output == "200")
        #expect(try await b.metric("routeledger_listener_up") == "1.0")

        // 3. B's listening connection is terminated; an append follows at once, while B reconnects.
        let third = try await b.longPoll(holding: try await b.etag(), cli, name: "poll-3")
        defer { third.stop() }
        let terminated = try await server.psql(PostgresServer.database(of: database), """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'routeledger pid \(b.process.pid) %listener'
            """)
        #expect(terminated.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "one listener per replica: \(terminated)")
        #expect(try await cli.run(["append", "-", "--db", database], stdin: Self.published("three", host: "three.local", ip: "10.0.2.63"), db: false).status == 0)
        #expect(await Patience.wait { !third.isRunning }, "answered after B listened again and compared the head")
        #expect(third.output == "200")
        let reconnected = try await Patience.wait { try await b.metric("routeledger_listener_reconnects_total") == "1" }
        let metrics = try await curl(["\(b.base)/metrics"])
        #expect(reconnected, "\(metrics)")
        #expect(try await curl(["\(b.base)/readyz"]) == "ready: seq 16\n")
        #expect(try await curl(["\(b.base)/v1/routes"]).contains("three.local"))
    }

    @Test("an agent given two replicas and a real nginx: kill -9 the replica it is on, and the next change reaches nginx through the other",
          .enabled(if: Nginx.shouldRun))
    func agentFailsOver() async throws {
        let nginx = try Nginx.binary()
        let cli = try CLI()
        defer { cli.cleanUp() }
        let database = try await PostgresServer.shared().createDatabase()
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl", "--db", database], db: false).status == 0)
        let (a, b) = try await Self.twoReplicas(cli, database: database)
        defer { a.process.stop(); b.process.stop() }
        let token = cli.directory.appendingPathComponent("token").path
        // nginx on the current configuration, in a prefix of its own.
        let prefix = cli.directory.appendingPathComponent("proxy").path + "/"
        try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
        let conf = prefix + "nginx.conf", port = try freeLoopbackPort()
        let rendered = try await Command.run("/bin/sh", ["-c", "'\(CLI.executable.path)' render nginx --db '\(database)' --port \(port) --address 127.0.0.1 > '\(conf)'"])
        #expect(rendered.status == 0, "\(rendered.output)")
        let wrapper = prefix + "nginx-wrapper"
        try "#!/bin/sh\nexec \(nginx) -p \(prefix) -e \(prefix)error.log -g 'pid \(prefix)nginx.pid;' \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let server = try BackgroundProcess(nginx, ["-p", prefix, "-e", prefix + "error.log", "-c", conf, "-g", "pid \(prefix)nginx.pid; daemon off;"],
                                           logPath: prefix + "nginx.out")
        defer { server.stop() }
        let agent = try BackgroundProcess(CLI.executable.path, [
            "agent", "--server", "\(a.base),\(b.base)", "--nginx-conf", conf, "--nginx-bin", wrapper, "--token-file", token,
            "--proxy-id", "edge-1", "--port", String(port), "--address", "127.0.0.1", "--wait", "300s"], logPath: prefix + "agent.out")
        defer { agent.stop() }
        #expect(try await Patience.wait { try await a.metric("routeledger_watchers") == "1.0" }, "the agent long-polls the first replica")

        kill(a.process.pid, SIGKILL)
        let killed = ContinuousClock.now
        #expect(try await cli.run(["append", "-", "--db", database], stdin: Self.published("after", host: "after.local", ip: "10.0.2.65"), db: false).status == 0)
        let reloads = try json(try await cli.run(["reloads", "--last", "1", "--json", "--db", database], db: false).stdout) as! [[String: Any]]
        let version = try #require(reloads.first?["version"] as? String)
        let served = try await Patience.wait {
            try await curl(["-D", "-", "-o", "/dev/null", "-H", "Host: probe.invalid", "http://127.0.0.1:\(port)/"])
                .contains("version=\(version.prefix(12))")
        }
        #expect(served, "nginx serves the new version; agent:\n\(agent.output.suffix(2_000))")
        print("kill -9 of the agent's replica to nginx serving the next version: \(ContinuousClock.now - killed)")
        let applied = try json(try await cli.run(["events", "--type", "proxy.applied", "--json", "--db", database], db: false).stdout) as! [[String: Any]]
        #expect(applied.contains { ($0["data"] as? [String: Any])?["version"] as? String == version }, "reported through the other replica")
        #expect(agent.isRunning)
    }

    @Test("database failover: kill the primary, promote its streaming standby; appends and the feed resume without restarting serve, every acknowledged event is there, verify passes")
    func databaseFailover() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let primary = try await PostgresServer()
        defer { primary.stop() }
        let database = await PostgresServer.database(of: try primary.createDatabase())
        let standby = try await primary.standby()
        defer { standby.stop() }
        let user = PostgresServer.superuser
        let both = "postgres://\(user)@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/\(database)?target_session_attrs=read-write"
        let onStandby = "postgres://\(user)@127.0.0.1:\(standby.port)/\(database)?target_session_attrs=standby"
        func count(_ url: String) async throws -> Int? {
            let listed = try await cli.run(["events", "--json", "--limit", "0", "--db", url], db: false)
            return listed.status == 0 ? (try json(listed.stdout) as? [Any])?.count : nil
        }
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl", "--db", both], db: false).status == 0)
        // The standby serves reads (it has replayed the primary's WAL) and refuses writes.
        #expect(try await Patience.wait { try await count(onStandby) == 10 })
        let refused = try await cli.run(["append", "-", "--db", onStandby], stdin: Self.published("no", host: "no.local", ip: "10.0.2.70"), db: false)
        #expect(refused.status == 1, "\(refused.stderr)")
        let token = try cli.write("token", "replica-token\n")
        let replica = try await Replica(cli, database: both, name: "r", token: token)
        defer { replica.process.stop() }
        let poll = try await replica.longPoll(holding: try await replica.etag(), cli, name: "poll")
        defer { poll.stop() }

        primary.kill()
        let killed = ContinuousClock.now
        // With only the standby left and not yet promoted, no server is read-write: one line says so.
        let none = try await cli.run(["append", "-", "--db", both], stdin: Self.published("no", host: "no.local", ip: "10.0.2.70"), db: false)
        #expect(none.status == 1 && none.stderr.contains("no server is read-write"), "\(none.stderr)")
        try await standby.promote()
        // Appends through the same serve resume on the new primary; the long-poll held before is answered.
        var posted = ""
        let resumed = try await Patience.wait {
            posted = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer replica-token",
                                          "--data-binary", Self.published("after", host: "after.local", ip: "10.0.2.71"), "\(replica.base)/v1/events"])
            return posted == "201"
        }
        #expect(resumed, "last answer \(posted); serve:\n\(replica.process.output.suffix(2_000))")
        print("database failover: kill -9 of the primary to the first append acknowledged on the promoted standby: \(ContinuousClock.now - killed)")
        #expect(await Patience.wait { !poll.isRunning })
        #expect(poll.output == "200")
        #expect(try await cli.run(["append", "-", "--db", both], stdin: Self.published("cli", host: "cli.local", ip: "10.0.2.72"), db: false).status == 0)
        #expect(try await count(both) == 14, "every acknowledged event: 10 before, 2 through serve, 2 by the CLI")
        let verified = try await cli.run(["verify", "--db", both], db: false)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(try await curl(["\(replica.base)/readyz"]) == "ready: seq 14\n")
    }

    @Test("/readyz: 503 naming the database while it is down, 200 again once it is back, without restarting serve")
    func readiness() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let server = try await PostgresServer()
        defer { server.stop() }
        let database = try await server.createDatabase()
        #expect(try await cli.run(["append", "data/01-default-backend.jsonl", "--db", database], db: false).status == 0)
        let token = try cli.write("token", "replica-token\n")
        let replica = try await Replica(cli, database: database, name: "r", token: token)
        defer { replica.process.stop() }
        #expect(try await curl(["\(replica.base)/readyz"]) == "ready: seq 5\n")
        #expect(try await replica.metric("routeledger_database_round_trip_seconds") != nil)
        server.kill()
        let down = try await curl(["-w", "%{http_code}", "\(replica.base)/readyz"])
        #expect(down.hasPrefix("not ready: the database does not answer") && down.hasSuffix("503"), "\(down)")
        #expect(try await curl(["\(replica.base)/healthz"]) == "ok\n", "alive all the same")
        try await server.restart()
        #expect(try await Patience.wait { try await curl(["\(replica.base)/readyz"]) == "ready: seq 5\n" })
        // The listener is back too: an append by the CLI wakes a long-poll.
        #expect(try await Patience.wait { try await replica.metric("routeledger_listener_up") == "1.0" })
        let poll = try await replica.longPoll(holding: try await replica.etag(), cli, name: "poll")
        defer { poll.stop() }
        #expect(try await cli.run(["append", "-", "--db", database], stdin: Self.published("back", host: "back.local", ip: "10.0.2.64"), db: false).status == 0)
        #expect(await Patience.wait { !poll.isRunning })
        #expect(poll.output == "200")
    }
}
