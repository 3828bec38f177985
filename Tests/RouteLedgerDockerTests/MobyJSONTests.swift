import Foundation
import RouteLedgerCore
import RouteLedgerDocker
import Testing

@Suite("Reading the Engine API's JSON")
struct MobyJSONTests {
    @Test("networks: id, name, driver, ingress flag, scope and creation time; local networks are listed too")
    func networks() throws {
        let networks = try MobyJSON.networks(try Fixtures.bytes("01-create/networks.json"))
        #expect(networks.map(\.network.name) == ["ingress", "bridge", "host", "demo"])
        #expect(networks.map(\.scope) == ["swarm", "local", "local", "swarm"])
        let ingress = networks[0]
        #expect(ingress.network == Network(id: "4qvuz4ko70xaltuqbt8956gd1", name: "ingress", driver: "overlay", ingress: true))
        #expect(ingress.created == Timestamp(rfc3339: "2026-11-27T09:31:11.912919752Z"))
        #expect(networks[3].network.ingress == false)
    }

    @Test("services: labels, replicas, TaskTemplate networks, VIPs, image, env, Version.Index and UpdatedAt")
    func services() throws {
        var skipped: [String] = []
        let services = try MobyJSON.services(try Fixtures.bytes("01-create/services.json"), skipped: &skipped)
        #expect(skipped.isEmpty)
        #expect(services.count == 2)
        let api = try #require(services.first { $0.spec.name == "api" })
        #expect(api.spec.id == "ak7w3gjqoa3kuz8xcpnyy0pvl")
        #expect(api.version == 15)
        #expect(api.updatedAt == Timestamp(rfc3339: "2026-11-27T09:42:51.962229872Z"))
        #expect(api.spec.labels["com.docker.lb.backend_mode"] == "vip")
        #expect(api.spec.labels["com.docker.lb.hosts"] == "api.local")
        #expect(api.spec.replicas == 1)
        #expect(api.spec.networks == ["kq2ymd8o5l7yqwm9gpyx4dz3a"])
        #expect(api.spec.vips == [NetworkAddress(networkID: "4qvuz4ko70xaltuqbt8956gd1", cidr: "10.255.0.5/16"),
                                  NetworkAddress(networkID: "kq2ymd8o5l7yqwm9gpyx4dz3a", cidr: "10.0.2.9/24")])
        #expect(api.spec.image?.hasPrefix("example/api:2.4@sha256:") == true)
        #expect(api.spec.env == ["APP_ENV=production"])
    }

    @Test("tasks: service, slot, node, state, desired state, Status.Timestamp and every attachment's addresses")
    func tasks() throws {
        var skipped: [String] = []
        let tasks = try MobyJSON.tasks(try Fixtures.bytes("04-drain/tasks.json"), skipped: &skipped)
        #expect(skipped.isEmpty)
        #expect(tasks.count == 7)
        let draining = try #require(tasks.first { $0.task.id == "1yljwbmlr8er2waf8orvqpwms" })
        #expect(draining.task == SwarmTask(id: "1yljwbmlr8er2waf8orvqpwms", serviceID: "9mnpnzenvg8p8tdbtq4wvbkcz", slot: 2,
                                           nodeID: "24ifsmvkjbyhk9cbd2w3pq5rt", state: .running, desiredState: .shutdown,
                                           addresses: [NetworkAddress(networkID: "kq2ymd8o5l7yqwm9gpyx4dz3a", cidr: "10.0.2.4/24")]))
        #expect(draining.version == 70)
        #expect(draining.statusTimestamp == Timestamp(rfc3339: "2026-11-27T09:41:18.390032978Z"))
        let api = try #require(tasks.first { $0.task.id == "268d7h2x3ojbdq6gbfyhb6j1e" })
        #expect(api.task.addresses.map(\.cidr) == ["10.255.0.6/16", "10.0.2.10/24"])
    }

    @Test("the deprecated Spec.Networks is read when TaskTemplate.Networks is absent; Global mode has no replicas")
    func olderShapes() throws {
        let json = """
            [{"ID": "s1", "Version": {"Index": 3}, "CreatedAt": "0001-01-01T00:00:00Z",
              "Spec": {"Name": "old", "Labels": null, "TaskTemplate": {"ContainerSpec": {"Image": "x"}},
                       "Mode": {"Global": {}}, "Networks": [{"Target": "n1"}, {"Target": "n2", "Aliases": ["a"]}]},
              "Endpoint": {"Spec": {}}}]
            """
        var skipped: [String] = []
        let services = try MobyJSON.services(Array(json.utf8), skipped: &skipped)
        #expect(services.first?.spec == ServiceSpec(id: "s1", name: "old", networks: ["n1", "n2"], image: "x"))
        #expect(services.first?.createdAt == nil, "Go's zero time reads as absent")
        #expect(services.first?.version == 3)
    }

    @Test("what cannot be represented is left out and named: unknown states, non-IP addresses; attachment tasks are not services'")
    func leftOut() throws {
        let json = """
            [{"ID": "t1", "Version": {"Index": 5}, "ServiceID": "s1", "Status": {"State": "paused"}, "DesiredState": "running"},
             {"ID": "t2", "Version": {"Index": 6}, "ServiceID": "s1", "Status": {"State": "running"}, "DesiredState": "running",
              "NetworksAttachments": [{"Network": {"ID": "n1"}, "Addresses": ["10.0.0.5/24", "not-an-ip"]}]},
             {"ID": "t3", "Version": {"Index": 7}, "Status": {"State": "running"}, "DesiredState": "running"}]
            """
        var skipped: [String] = []
        let tasks = try MobyJSON.tasks(Array(json.utf8), skipped: &skipped)
        #expect(tasks.map(\.task.id) == ["t2"])
        #expect(tasks.first?.task.addresses == [NetworkAddress(networkID: "n1", cidr: "10.0.0.5/24")])
        #expect(skipped == ["task t1 of service s1: unknown state \"paused\"; left out",
                            "task t2: address \"not-an-ip\" on network n1 is not an IP address; left out"])
    }

    @Test("a wrong shape is refused naming the request, the path and the reason")
    func wrongShape() throws {
        var skipped: [String] = []
        #expect {
            try MobyJSON.services(Array(#"[{"ID": "s1", "Spec": {"Name": "a"}}, {"ID": "s2", "Spec": {"Name": 7}}]"#.utf8), skipped: &skipped)
        } throws: { error in
            "\(error)" == "unexpected response to GET /services: [1].Spec.Name: expected a string, found a number"
        }
        #expect {
            try MobyJSON.tasks(Array("[{\"ID\": ".utf8), skipped: &skipped)
        } throws: { error in
            "\(error)".hasPrefix("unexpected response to GET /tasks: invalid JSON at byte 8:")
        }
    }

    @Test("/version and an /events message")
    func versionAndEvents() throws {
        let version = try MobyJSON.version(try Fixtures.bytes("version.json"))
        #expect(version == DockerVersionInfo(engineVersion: "27.0.1", apiVersion: DockerAPIVersion(1, 47),
                                             minimumAPIVersion: DockerAPIVersion(1, 24)))
        let lines = String(decoding: try Fixtures.bytes("events.jsonl"), as: UTF8.self).split(separator: "\n")
        let messages = try lines.map { try MobyJSON.eventMessage(Array($0.utf8)) }
        #expect(messages.map { "\($0.type) \($0.action)" } == ["service update", "container start", "network create", "service remove"])
        #expect(messages.allSatisfy { $0.concernsSwarm })
        let plain = DockerEventMessage(type: "container", action: "start", actorID: "c1", attributes: ["name": "db"])
        #expect(!plain.concernsSwarm, "a container outside Swarm is no hint")
    }

    @Test("API version negotiation: the newest both know; a daemon below 1.25 is refused")
    func negotiation() throws {
        func info(_ api: String, _ min: String?) -> DockerVersionInfo {
            DockerVersionInfo(engineVersion: nil, apiVersion: DockerAPIVersion(api)!, minimumAPIVersion: min.flatMap(DockerAPIVersion.init))
        }
        let newer = try DockerAPIVersion.negotiate(with: info("1.52", "1.44"))
        #expect(newer.version == DockerAPIVersion(1, 47) && newer.tested)
        let older = try DockerAPIVersion.negotiate(with: info("1.41", "1.12"))
        #expect(older.version == DockerAPIVersion(1, 41) && older.tested)
        let future = try DockerAPIVersion.negotiate(with: info("1.60", "1.50"))
        #expect(future.version == DockerAPIVersion(1, 50) && !future.tested)
        #expect(throws: DockerError.unsupportedAPI(daemon: DockerAPIVersion(1, 24))) { try DockerAPIVersion.negotiate(with: info("1.24", "1.12")) }
        #expect(DockerAPIVersion("1.9")! < DockerAPIVersion("1.10")!)
        #expect(DockerAPIVersion("v1.4") == nil)
    }
}
