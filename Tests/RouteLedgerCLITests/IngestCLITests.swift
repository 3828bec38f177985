import DockerStandIn
import Foundation
import Testing
import TestSupport

/// `routeledger ingest docker` as an operator runs it, against the stand-in daemon started by the test.
@Suite("routeledger ingest docker")
struct IngestCLITests {
    static let states = CLI.repository.appendingPathComponent("data/docker/states")

    static func standIn(serving state: String) async throws -> DockerStandIn {
        let standIn = try await DockerStandIn.start(socketPath: "/tmp/rl-cli-\(UUID().uuidString.prefix(8)).sock")
        standIn.serve("/version", [UInt8](try Data(contentsOf: states.appendingPathComponent("version.json"))))
        try standIn.serve(state: states.appendingPathComponent(state))
        return standIn
    }

    @Test("--once against an unreachable socket: one line on stderr, exit 1, no database created")
    func unreachable() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let socket = cli.directory.appendingPathComponent("no-daemon.sock").path
        let result = try await cli.run(["ingest", "docker", "--once", "--host", "unix://" + socket])
        #expect(result.status == 1)
        #expect(result.stderr == "routeledger: cannot reach the Docker daemon at unix://\(socket): no such socket (is Docker running? --host or DOCKER_HOST names another daemon)\n")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: cli.database))

        let bad = try await cli.run(["ingest", "docker", "--once", "--host", "ssh://manager"])
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").count == 1)
        #expect(try await cli.run(["ingest", "docker", "--interval", "soon"]).status == 2)
    }

    @Test("--once lists, appends what changed, and appends nothing for the same cluster again",
          arguments: CLI.engines)
    func once(engine: String) async throws {
        let standIn = try await Self.standIn(serving: "01-create")
        let cli = try CLI()
        defer { cli.cleanUp() }
        let database = try await cli.log(on: engine)
        func run(_ arguments: [String]) async throws -> CLI.Result { try await cli.run(arguments + ["--db", database], db: false) }
        let first = try await run(["ingest", "docker", "--once", "--host", standIn.host])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "Docker 27.0.1 at \(standIn.host), API 1.47: listed 4 networks, 2 services, 3 tasks; appended 7 events (2 network.created, 2 service.created, 3 task.updated); last seq 7\n")

        try standIn.serve(state: Self.states.appendingPathComponent("06-service-removal"))
        let second = try await run(["ingest", "docker", "--once", "--json", "--host", standIn.host])
        #expect(second.status == 0, "\(second.stderr)")
        let report = try json(second.stdout) as! [String: Any]
        #expect(report["appended"] as? Int == 7)
        #expect(report["duplicates"] as? Int == 0)

        let again = try await run(["ingest", "docker", "--once", "--host", standIn.host])
        #expect(again.stdout.hasSuffix("listed 5 networks, 1 service, 3 tasks; no change; last seq 14\n"))
        let routes = try json(try await run(["routes", "--json"]).stdout) as! [String: Any]
        let frontends = routes["frontends"] as! [[String: Any]]
        #expect(frontends.map { $0["host"] as! String } == ["web.local"])
        #expect((frontends[0]["upstreams"] as! [[String: Any]]).map { $0["address"] as! String } == ["10.0.2.5:8080", "10.0.2.6:8080"])
        await standIn.stop()
    }

    @Test("two ingesters on one log (one per manager): the same Docker objects give the same ids, so each change is stored once, with no conflict",
          arguments: CLI.engines)
    func twoIngesters(engine: String) async throws {
        let standIn = try await Self.standIn(serving: "01-create")
        let cli = try CLI()
        defer { cli.cleanUp() }
        let database = try await cli.log(on: engine)
        let ingesters = try (1...2).map { n in
            // At debug level each round says what it listed and where the log ends, changed or not.
            try BackgroundProcess(CLI.executable.path, ["ingest", "docker", "--host", standIn.host, "--interval", "1h", "--db", database,
                                                        "--log-level", "debug"],
                                  logPath: cli.directory.appendingPathComponent("ingest-\(n).log").path)
        }
        defer { for ingester in ingesters { ingester.stop() } }
        func events() async throws -> [[String: Any]] {
            try json(try await cli.run(["events", "--json", "--db", database], db: false).stdout) as! [[String: Any]]
        }
        // Both list the cluster at start; the first to append stores it, the other finds it stored.
        #expect(await Patience.wait { ingesters.allSatisfy { $0.output.contains("following the Docker daemon") } && standIn.openEventStreams == 2 })
        #expect(try await Patience.wait { try await events().count == 7 })
        // A change, which both hear of at once.
        try standIn.serve(state: Self.states.appendingPathComponent("02-scale-up"))
        standIn.emit(#"{"Type":"service","Action":"update","Actor":{"ID":"ak7w3gjqoa3kuz8xcpnyy0pvl","Attributes":{"name":"api"}},"scope":"swarm","time":1795774860}"#)
        #expect(try await Patience.wait { try await events().count == 10 })
        // Both had a round on the new listing that ended at seq 10: one appended the change, the other found
        // it stored (or appended duplicates, skipped).
        #expect(await Patience.wait { ingesters.allSatisfy { $0.output.contains("listed 4 networks, 2 services, 5 tasks") && $0.output.contains("last seq 10") } },
                "\(ingesters.map(\.output))")
        for ingester in ingesters { kill(ingester.pid, SIGTERM) }
        #expect(await Patience.wait { ingesters.allSatisfy { !$0.isRunning } })
        for ingester in ingesters {
            #expect(ingester.exitStatus == 0, "\(ingester.output)")
            #expect(!ingester.output.contains("conflict") && !ingester.output.contains("error"), "\(ingester.output)")
        }
        let stored = try await events()
        #expect(stored.count == 10, "no double event")
        #expect(Set(stored.map { $0["id"] as! String }).count == 10)
        #expect(try await cli.run(["verify", "--db", database], db: false).status == 0)
        await standIn.stop()
    }

    @Test("following: a line per changing round, then SIGTERM stops it cleanly with exit 0")
    func follow() async throws {
        let standIn = try await Self.standIn(serving: "01-create")
        let cli = try CLI()
        defer { cli.cleanUp() }
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["ingest", "docker", "--host", standIn.host, "--interval", "60s", "--db", cli.database]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = OutputCollector()
        out.fileHandleForReading.readabilityHandler = { handle in output.add(handle.availableData) }
        try process.run()
        try Reaper.watch(process.processIdentifier)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        #expect(await standIn.wait { output.text.contains("appended 7 events") && standIn.openEventStreams == 1 })
        try standIn.serve(state: Self.states.appendingPathComponent("02-scale-up"))
        standIn.emit(#"{"Type":"service","Action":"update","Actor":{"ID":"ak7w3gjqoa3kuz8xcpnyy0pvl","Attributes":{"name":"api"}},"scope":"swarm","time":1795774860}"#)
        #expect(await standIn.wait { output.text.contains("appended 3 events (1 service.updated, 2 task.updated); last seq 10") })

        kill(process.processIdentifier, SIGTERM)
        #expect(await Patience.wait { !process.isRunning }, "SIGTERM stops the ingest (it would otherwise run for ever)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("following the Docker daemon at \(standIn.host)"))
        #expect(stderr.hasSuffix("routeledger: stopped\n"))
        out.fileHandleForReading.readabilityHandler = nil
        await standIn.stop()
    }
}

/// Collects a pipe's output as it arrives.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func add(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
