import DockerStandIn
import Foundation
import RouteLedgerCore
import RouteLedgerDocker
import RouteLedgerIngest
import RouteLedgerStore
import Testing
import TestSupport

/// The listings a real Docker Engine 20.10 (API 1.41) gave at each step of the real-Engine scenario
/// (data/docker/engine-20.10, captured by `DockerEngineTests` with `ROUTELEDGER_CAPTURE_DOCKER`), served
/// by the stand-in daemon and ingested round by round: the real shapes, on every machine, Docker or not.
@Suite("Docker ingest through a captured Engine 20.10 run")
struct CapturedEngineTests {
    static let folder = Fixtures.repository.appendingPathComponent("data/docker/engine-20.10")

    /// The captured steps, in order.
    static var steps: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.first?.isNumber == true }.sorted()
    }

    @Test("each step's routes are what Interlock's rules make of that step's listing; the last listed again appends nothing")
    func replay() async throws {
        #expect(Self.steps.count == 12)
        let standIn = try await DockerStandIn.start(socketPath: scratchSocketPath())
        standIn.serve("/version", [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("version.json"))))
        let db = ScratchDatabase()
        let log = try db.open()
        let ingest = DockerIngest(client: DockerClient(endpoint: DockerEndpoint(address: .unix(path: standIn.socketPath)), timeout: Patience.duration),
                                  journal: StoreJournal(log: log))
        var expected: [String: Set<String>] = [:]
        for step in Self.steps {
            let state = Self.folder.appendingPathComponent(step)
            try standIn.serve(state: state)
            let (connection, round) = try await ingest.runOnce()
            #expect(connection.api == DockerAPIVersion(1, 41) && connection.tested)
            #expect(round.skipped.isEmpty, "\(step): \(round.skipped)")
            let listing = try EngineListing(folder: state)
            // A bad port label keeps the last valid routing (the listing alone would drop the frontend).
            let badPort = listing.services.contains { $0.labels["com.docker.lb.port"].map { Int($0) == nil } ?? false }
            if !badPort { expected = listing.routes }
            let routes = try IngestScenarioTests.routes(log).mapValues(Set.init)
            #expect(routes == expected, "\(step)")
        }
        let last = try log.lastSeq()
        let (_, again) = try await ingest.runOnce()
        #expect(again.events.isEmpty)
        #expect(try log.lastSeq() == last)
        #expect(try log.verify().isIntact)
        await standIn.stop()
    }

    @Test("every message of the run's /events stream reads; service, network and Swarm task-container events call for a round, the image import does not")
    func events() throws {
        let lines = try String(contentsOf: Self.folder.appendingPathComponent("events.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 50)
        var calls: [String: Bool] = [:]
        for line in lines {
            let message = try MobyJSON.eventMessage(Array(line.utf8))
            let kind = "\(message.type) \(message.action)"
            let swarmContainer = message.type == "container" && message.attributes["com.docker.swarm.service.id"] != nil
            calls[kind] = (calls[kind] ?? false) || message.concernsSwarm
            #expect(message.concernsSwarm == (["service", "network"].contains(message.type) || swarmContainer), "\(line)")
        }
        #expect(calls["service create"] == true && calls["service remove"] == true && calls["container start"] == true)
        #expect(calls["node update"] == false && calls["image import"] == false)
    }
}
