import DockerStandIn
import Foundation
import NIOConcurrencyHelpers
import RouteLedgerCore
import RouteLedgerDocker
import RouteLedgerIngest
import RouteLedgerStore
import Testing
import TestSupport

/// `ingest docker` without `--once`: rounds on start, on events, on the interval; through dropped streams,
/// a daemon that goes away, and cancellation.
@Suite("Following a cluster")
struct IngestLoopTests {
    static func ingest(_ standIn: DockerStandIn, _ log: EventLog, interval: Duration, record: LogRecord) -> DockerIngest {
        DockerIngest(client: DockerClient(endpoint: DockerEndpoint(address: .unix(path: standIn.socketPath)), timeout: Patience.duration),
                     journal: StoreJournal(log: log),
                     settings: IngestSettings(interval: interval, minimumGap: .milliseconds(50), initialBackoff: .milliseconds(100),
                                              maximumBackoff: .milliseconds(400)),
                     logger: record.logger())
    }

    static func taskIDs(_ log: EventLog) throws -> Set<TaskID> {
        Set(try log.clusterState().state.tasks.keys)
    }

    @Test("an event lists at once, long before the interval")
    func eventTriggersRound() async throws {
        let standIn = try await startStandIn(serving: "01-create")
        let db = ScratchDatabase()
        let log = try db.open()
        let record = LogRecord()
        let rounds = NIOLockedValueBox(0)
        let ingest = Self.ingest(standIn, log, interval: .seconds(3600), record: record)
        let running = Task { await ingest.run(onRound: { _ in rounds.withLockedValue { $0 += 1 } }) }
        #expect(await standIn.wait { rounds.withLockedValue { $0 } == 1 && standIn.openEventStreams == 1 })
        #expect(try log.lastSeq() == 7)

        try standIn.serve(state: Fixtures.states.appendingPathComponent("02-scale-up"))
        standIn.emit(#"{"Type":"service","Action":"update","Actor":{"ID":"ak7w3gjqoa3kuz8xcpnyy0pvl","Attributes":{"name":"api"}},"scope":"swarm","time":1795774860,"timeNano":1795774860013000000}"#)
        // The round appends before it reports itself: wait for both.
        #expect(await standIn.wait { (try? log.lastSeq()) == 10 && rounds.withLockedValue { $0 } == 2 })
        #expect(rounds.withLockedValue { $0 } == 2)

        // A container outside Swarm is no reason to list.
        standIn.emit(#"{"Type":"container","Action":"start","Actor":{"ID":"c0ffee","Attributes":{"name":"db"}},"scope":"local","time":1795774861}"#)
        try await Task.sleep(for: .milliseconds(300))
        #expect(rounds.withLockedValue { $0 } == 2)

        running.cancel()
        await running.value
        await standIn.stop()
    }

    @Test("a task on its way up is listed again soon, with no event (Swarm sends none when a task reaches running), then no more")
    func settlingTasks() async throws {
        let standIn = try await startStandIn(serving: "01-create")
        // The same cluster with web.1 still starting, as a round right after `container start` may list it.
        let running = try Fixtures.bytes("01-create/tasks.json")
        var tasks = try JSONSerialization.jsonObject(with: Data(running)) as! [[String: Any]]
        let starting = tasks[0]["ID"] as! String
        var status = tasks[0]["Status"] as! [String: Any]
        status["State"] = "starting"
        tasks[0]["Status"] = status
        tasks[0]["Version"] = ["Index": 29]
        standIn.serve("/tasks", [UInt8](try JSONSerialization.data(withJSONObject: tasks)))
        let db = ScratchDatabase()
        let log = try db.open()
        let rounds = NIOLockedValueBox<[Bool]>([])
        var settings = IngestSettings(interval: .seconds(3600), minimumGap: .milliseconds(10), settleInterval: .milliseconds(50))
        settings.initialBackoff = .milliseconds(100)
        let ingest = DockerIngest(client: DockerClient(endpoint: DockerEndpoint(address: .unix(path: standIn.socketPath)), timeout: Patience.duration),
                                  journal: StoreJournal(log: log), settings: settings, logger: LogRecord().logger())
        let following = Task { await ingest.run(onRound: { round in rounds.withLockedValue { $0.append(round.inTransition) } }) }
        #expect(await standIn.wait { rounds.withLockedValue { $0.count } >= 3 }, "rounds at 50, 100, 200 ms … while the task starts")
        #expect(rounds.withLockedValue { $0.allSatisfy { $0 } })
        #expect(try log.clusterState().state.tasks[TaskID(starting)]?.state == .starting)

        // It runs now; nothing tells the ingest but its next settling round.
        standIn.serve("/tasks", running)
        #expect(await standIn.wait {
            (try? log.clusterState().state.tasks[TaskID(starting)]?.state) == .running && rounds.withLockedValue { $0.last } == false
        })
        // Settled: the next round is the hour's.
        let settled = rounds.withLockedValue { $0.count }
        try await Task.sleep(for: .milliseconds(500))
        #expect(rounds.withLockedValue { $0.count } == settled, "no round for ten settle intervals once every task runs")

        following.cancel()
        await following.value
        await standIn.stop()
    }

    @Test("with the event stream dropped, the next interval round still finds what changed")
    func droppedStream() async throws {
        let standIn = try await startStandIn(serving: "06-service-removal")
        let db = ScratchDatabase()
        let log = try db.open()
        let record = LogRecord()
        let ingest = Self.ingest(standIn, log, interval: .milliseconds(400), record: record)
        let running = Task { await ingest.run() }
        #expect(await standIn.wait { (try? Self.taskIDs(log).count) == 3 && standIn.openEventStreams == 1 })

        // The stream drops and cannot be reopened for now: no event, no reopening, tells of the change.
        standIn.refuseEvents(true)
        standIn.dropEventStreams()
        try standIn.serve(state: Fixtures.states.appendingPathComponent("07-scale-web"))
        #expect(await standIn.wait { (try? Self.taskIDs(log).contains("p2k8vz3n4s1ggh7w0y5xq6mtr")) == true })
        #expect(standIn.openEventStreams == 0)
        #expect(record.contains("Docker event stream ended"))
        #expect(await standIn.wait { record.contains("Docker event stream failed") && record.contains("HTTP 500") })
        standIn.refuseEvents(false)
        #expect(await standIn.wait { standIn.openEventStreams == 1 }, "the stream is reopened")
        let routes = try log.projection(through: log.point()).view.frontends.first { $0.host == "web.local" }
        #expect(routes?.upstreams.map(\.address).sorted() == ["10.0.2.5:8080", "10.0.2.6:8080", "10.0.2.7:8080"])

        running.cancel()
        await running.value
        await standIn.stop()
    }

    @Test("the daemon goes away: warnings with backoff, then it reconnects and appends nothing twice")
    func daemonRestart() async throws {
        var standIn = try await startStandIn(serving: "01-create")
        let socketPath = standIn.socketPath
        let db = ScratchDatabase()
        let log = try db.open()
        let record = LogRecord()
        let ingest = Self.ingest(standIn, log, interval: .milliseconds(200), record: record)
        let running = Task { await ingest.run() }
        #expect(await standIn.wait { (try? log.lastSeq()) == 7 })

        await standIn.stop()
        #expect(await standIn.wait { record.messages.filter { $0.contains("Docker ingest round failed; retrying") }.count >= 2 })
        #expect(record.contains("no such socket"))

        standIn = try await DockerStandIn.start(socketPath: socketPath)
        standIn.serve("/version", try Fixtures.bytes("version.json"))
        try standIn.serve(state: Fixtures.states.appendingPathComponent("01-create"))
        #expect(await standIn.wait { record.contains("reconnected to the Docker daemon") })
        #expect(await standIn.wait { standIn.requests.filter { $0.hasSuffix("/tasks") }.count >= 2 })
        #expect(try log.lastSeq() == 7, "the same cluster after a restart appends nothing")

        running.cancel()
        await running.value
        await standIn.stop()
    }

    @Test("cancellation (SIGINT/SIGTERM in the CLI) stops the loop promptly, also while waiting for the daemon")
    func cancellation() async throws {
        let standIn = try await startStandIn(serving: "01-create")
        let db = ScratchDatabase()
        let log = try db.open()
        let record = LogRecord()
        let ingest = Self.ingest(standIn, log, interval: .seconds(3600), record: record)
        let running = Task { await ingest.run() }
        #expect(await standIn.wait { (try? log.lastSeq()) == 7 && standIn.openEventStreams == 1 })
        var started = ContinuousClock.now
        running.cancel()
        await running.value
        #expect(ContinuousClock.now - started < Patience.duration, "far sooner than the hour-long interval")
        #expect(record.contains("Docker ingest stopped"))
        #expect(await standIn.wait { standIn.openEventStreams == 0 })

        // While the daemon hangs, a round waits on its request; cancelling ends that wait too.
        standIn.hang(true)
        let hung = Task { await Self.ingest(standIn, log, interval: .seconds(3600), record: record).run() }
        #expect(await standIn.wait { standIn.requests.filter { $0.hasSuffix("/networks") }.count >= 2 })
        started = ContinuousClock.now
        hung.cancel()
        await hung.value
        #expect(ContinuousClock.now - started < Patience.duration, "far sooner than the hour-long interval")
        await standIn.stop()
    }
}
