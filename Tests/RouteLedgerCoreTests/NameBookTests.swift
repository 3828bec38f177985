import RouteLedgerCore
import RouteLedgerJSON
import Testing

@Suite("Names, not ids")
struct NameBookTests {

    private func book(_ events: [ClusterEvent], from state: ClusterState = ClusterState()) -> NameBook {
        var names = NameBook(state)
        for event in events { names.learn(event) }
        return names
    }

    @Test("services by name, tasks as service.slot like docker service ps, networks by name")
    func plainNames() {
        let names = book(Fixture.networks + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
                         + F.running(2, of: "web", subnet: 1))
        #expect(names.service("s-web") == "web")
        #expect(names.task("web-2") == "web.2")
        #expect(names.network("n-demo") == "demo")
        #expect(names.task("nobody-knows") == "nobody-knows", "an id the book never saw stays an id")
    }

    @Test("a task rescheduled into its slot: both get their short id while both are known")
    func rescheduledSlot() {
        let replaced = SwarmTask(id: "k3j2h1g0f9e8d7c6b5a4", serviceID: "s-web", slot: 1, state: .running, desiredState: .running)
        let names = book([.serviceCreated(F.service("web", [:]))] + F.running(1, of: "web", subnet: 1) + [.taskUpdated(replaced)])
        #expect(names.task("web-1") == "web.1 (web-1)")
        #expect(names.task("k3j2h1g0f9e8d7c6b5a4") == "web.1 (k3j2h1g0f9e8)", "shortened to 12 characters, as the Docker CLI does")
    }

    @Test("it never forgets: a removed task keeps its name for the events after it")
    func neverForgets() {
        let names = book([.serviceCreated(F.service("web", [:]))] + F.running(1, of: "web", subnet: 1)
                         + [.taskRemoved("web-1"), .serviceRemoved("s-web")])
        #expect(names.task("web-1") == "web.1")
        #expect(names.service("s-web") == "web")
    }

    @Test("a service created again under its old name is told apart by its id; a global task is service.node")
    func sameNameTwice() {
        var again = F.service("web", [:])
        again.id = "s-web-2"
        let global = SwarmTask(id: "g1", serviceID: "s-web-2", nodeID: "node-7", state: .running, desiredState: .running)
        let names = book([.serviceCreated(F.service("web", [:])), .serviceRemoved("s-web"), .serviceCreated(again), .taskUpdated(global)])
        #expect(names.service("s-web") == "web (s-web)" && names.service("s-web-2") == "web (s-web-2)")
        #expect(names.task("g1") == "web.node-7", "two services are never live under one name: its tasks need no id")
    }

    @Test("started from a state, it knows what the state knows")
    func fromState() {
        let state = Fixture.project(Fixture.networks + [.serviceCreated(F.service("api", [:]))] + F.running(1, of: "api", subnet: 2)).state
        let names = NameBook(state)
        #expect(names.task("api-1") == "api.1")
        #expect(names.json(for: .taskRemoved("api-1")) == .object([JSONMember("api-1", .string("api.1")), JSONMember("s-api", .string("api"))]))
    }
}
