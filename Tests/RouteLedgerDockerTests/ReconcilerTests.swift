import RouteLedgerCore
import RouteLedgerDocker
import Testing

@Suite("Reconciler: listings to events")
struct ReconcilerTests {
    static let t0 = Timestamp(rfc3339: "2026-11-27T10:00:00Z")!
    static let now = Timestamp(rfc3339: "2026-11-27T11:00:00Z")!

    static func service(_ id: String, version: UInt64, replicas: Int = 1, at time: String? = nil) -> DockerService {
        DockerService(spec: ServiceSpec(id: ServiceID(id), name: id, labels: ["com.docker.lb.hosts": "\(id).local", "com.docker.lb.port": "80"],
                                        replicas: replicas, networks: ["n1"]),
                      version: version, createdAt: nil, updatedAt: time.flatMap(Timestamp.init(rfc3339:)))
    }

    static func task(_ id: String, of service: String, version: UInt64, state: TaskState = .running, desired: TaskState = .running) -> DockerTask {
        DockerTask(task: SwarmTask(id: TaskID(id), serviceID: ServiceID(service), state: state, desiredState: desired,
                                   addresses: [NetworkAddress(networkID: "n1", cidr: "10.0.0.\(id.count)/24")]),
                   version: version, updatedAt: nil, statusTimestamp: t0)
    }

    static func fold(_ events: [IngestEvent], into state: inout ClusterState, from seq: inout Seq) {
        for event in events {
            seq += 1
            state.apply(event.event, seq: seq)
        }
    }

    @Test("local networks are not Swarm's; an object without a time takes the listing's")
    func networksAndTimes() {
        let listing = DockerListing(networks: [
            DockerNetwork(network: Network(id: "b", name: "bridge", driver: "bridge"), scope: "local", created: Self.t0),
            DockerNetwork(network: Network(id: "n1", name: "demo", driver: "overlay"), scope: "swarm", created: nil),
        ])
        let events = Reconciler.events(for: listing, against: ClusterState(), through: 0, observedAt: Self.now)
        #expect(events == [IngestEvent(id: "docker:network.created:n1", time: Self.now,
                                       event: .networkCreated(Network(id: "n1", name: "demo", driver: "overlay")))])
    }

    @Test("a task whose service is not listed is neither updated nor removed")
    func tasksOfUnlistedServices() {
        var state = ClusterState()
        var seq: Seq = 0
        let first = DockerListing(services: [Self.service("s1", version: 3)], tasks: [Self.task("t1", of: "s1", version: 4)])
        Self.fold(Reconciler.events(for: first, against: state, through: seq, observedAt: Self.now), into: &state, from: &seq)
        #expect(state.tasks.count == 1)
        // s2 was created between the services and the tasks list calls: its task waits for the next round.
        let racing = DockerListing(services: [Self.service("s1", version: 3)],
                                   tasks: [Self.task("t1", of: "s1", version: 4), Self.task("t2", of: "s2", version: 9)])
        #expect(Reconciler.events(for: racing, against: state, through: seq, observedAt: Self.now).isEmpty)
        // s1 is removed; its task still listed with desired state remove: one service.removed, nothing for the task.
        let removing = DockerListing(tasks: [Self.task("t1", of: "s1", version: 7, desired: .remove)])
        let events = Reconciler.events(for: removing, against: state, through: seq, observedAt: Self.now)
        #expect(describe(events) == ["service.removed docker:service.removed:s1:s2"])
    }

    @Test("tasks in the log whose service Docker never listed are removed when Docker does not list them")
    func orphanTasks() {
        var state = ClusterState()
        state.apply(.taskUpdated(SwarmTask(id: "t9", serviceID: "ghost", state: .running, desiredState: .running)), seq: 1)
        let events = Reconciler.events(for: DockerListing(), against: state, through: 1, observedAt: Self.now)
        #expect(describe(events) == ["task.removed docker:task.removed:t9:s1"])
    }

    @Test("a listing that names an object twice keeps its highest version")
    func duplicateListing() {
        let listing = DockerListing(services: [Self.service("s1", version: 5, replicas: 3), Self.service("s1", version: 4, replicas: 2)])
        let events = Reconciler.events(for: listing, against: ClusterState(), through: 0, observedAt: Self.now)
        #expect(describe(events) == ["service.created docker:service.created:s1:v5"])
        guard case .serviceCreated(let spec) = events.first?.event else { Issue.record("not a service event"); return }
        #expect(spec.replicas == 3)
    }

    @Test("a version change that changes nothing RouteLedger keeps appends nothing")
    func invisibleChange() {
        var state = ClusterState()
        var seq: Seq = 0
        let first = DockerListing(services: [Self.service("s1", version: 3)], tasks: [Self.task("t1", of: "s1", version: 4)])
        Self.fold(Reconciler.events(for: first, against: state, through: seq, observedAt: Self.now), into: &state, from: &seq)
        // Swarm rewrote the task (a new Status.Message, a health check): new version, same state and addresses.
        let rewritten = DockerListing(services: [Self.service("s1", version: 3)], tasks: [Self.task("t1", of: "s1", version: 11)])
        #expect(Reconciler.events(for: rewritten, against: state, through: seq, observedAt: Self.now).isEmpty)
    }

    @Test("a removal after the same object came back gets a new id, so it is not swallowed as a duplicate")
    func removalIDsFollowThePosition() {
        var state = ClusterState()
        state.apply(.networkCreated(Network(id: "n7", name: "scratch")), seq: 4)
        let first = Reconciler.events(for: DockerListing(), against: state, through: 4, observedAt: Self.now)
        state.apply(.networkRemoved("n7"), seq: 5)
        state.apply(.networkCreated(Network(id: "n7", name: "scratch")), seq: 6)
        let second = Reconciler.events(for: DockerListing(), against: state, through: 6, observedAt: Self.now)
        #expect(first.map(\.id) == ["docker:network.removed:n7:s4"])
        #expect(second.map(\.id) == ["docker:network.removed:n7:s6"])
    }

    @Test("every event is one line of event format v1 with meta.source docker")
    func jsonLine() {
        let event = IngestEvent(id: "docker:task.removed:t1:s3", time: Self.now, event: .taskRemoved("t1"))
        #expect(event.jsonLine == #"{"id":"docker:task.removed:t1:s3","type":"task.removed","time":"2026-11-27T11:00:00Z","data":{"taskId":"t1"},"meta":{"source":"docker"}}"#)
        #expect([event, event].jsonLines.split(separator: UInt8(ascii: "\n")).count == 2)
    }
}
