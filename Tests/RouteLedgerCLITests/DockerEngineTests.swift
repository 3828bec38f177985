import Foundation
import Testing
import TestSupport

/// `routeledger ingest docker` against a real Docker Engine (Debian's docker.io, a single-node Swarm of the
/// test support's own): each step changes the cluster with the Docker CLI, as an operator would, and checks
/// the routes RouteLedger derives against what the engine itself lists at that moment, never against
/// constants. No traffic goes to any container address; the engine is reached only through its socket.
///
/// Serialized: both tests ingest the whole swarm, so one's services would show up in the other's listing.
@Suite("routeledger ingest docker, on a real Docker Engine", .serialized, .enabled(if: DockerEngine.shouldRun))
struct DockerEngineTests {
    @Test("task and vip services through scaling, a sticky label, a bad port, a rolling update and removal: routes as the engine lists them")
    func scenario() async throws {
        let engine = try DockerEngine.shared()
        let cli = try CLI()
        defer { cli.cleanUp() }
        let cluster = EngineListing(engine: engine)
        func ingest() async throws -> [String: Any] {
            let result = try await cli.run(["ingest", "docker", "--once", "--json", "--host", engine.host])
            #expect(result.status == 0, "\(result.stderr)")
            return try json(result.stdout) as! [String: Any]
        }
        func routes() async throws -> Routes { try Routes(try await cli.run(["routes", "--json"]).stdout) }
        func reloads() async throws -> [[String: Any]] {
            try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        }

        try await engine.run(["network", "create", "--driver", "overlay", "demo"])
        defer { _ = try? engine.docker(["network", "rm", "demo"]) }
        let labels = ["com.docker.lb.port": "8080", "com.docker.lb.network": "demo"]
        try await engine.createService("web", network: "demo", replicas: 2, labels: labels.merging(["com.docker.lb.hosts": "web.local"]) { $1 })
        try await engine.createService("api", network: "demo", labels: labels.merging([
            "com.docker.lb.hosts": "api.local", "com.docker.lb.backend_mode": "vip",
        ]) { $1 })
        defer { _ = try? engine.docker(["service", "rm", "web", "api"]) }
        try await cluster.waitUntilConverged()

        // 1. Created: the overlay network, both services, their running tasks.
        var report = try await ingest()
        #expect(report["api"] as? String == engine.apiVersion, "the client negotiates the engine's API version")
        let first = report["events"] as! [String]
        #expect(first.contains { $0.hasPrefix("docker:network.created:") })
        #expect(first.filter { $0.hasPrefix("docker:service.created:") }.count == 2)
        #expect(first.filter { $0.hasPrefix("docker:task.updated:") }.count == 3)
        var expected = try await cluster.routes()
        #expect(expected["web.local"]?.addresses.count == 2 && expected["api.local"]?.addresses.count == 1)
        #expect(try await routes().upstreams == expected)
        var reloadCount = try await reloads().count

        // 2. vip scaling: three tasks behind one VIP; no reload.
        try await engine.run(["service", "scale", "--detach", "api=3"])
        try await cluster.waitUntilConverged()
        report = try await ingest()
        #expect((report["appended"] as! Int) > 0, "the new tasks are in the log")
        expected = try await cluster.routes()
        #expect(try await routes().upstreams == expected)
        #expect(try await reloads().count == reloadCount, "scaling a vip-mode service reloads no proxy")

        // 3. task scaling: one reload, which adds the new task.
        let webBefore = expected["web.local"]!
        try await engine.run(["service", "scale", "--detach", "web=3"])
        try await cluster.waitUntilConverged()
        _ = try await ingest()
        expected = try await cluster.routes()
        #expect(try await routes().upstreams == expected)
        let all = try await reloads()
        #expect(all.count == reloadCount + 1)
        let added = expected["web.local"]!.subtracting(webBefore)
        #expect(added.addresses.count == 1)
        #expect(Routes.upstreamChanges(all.last!) == ["web.local": UpstreamChange(added: added.addresses, removed: [])])
        reloadCount = all.count

        // 4. A sticky-session label: the same upstreams, a cookie.
        try await engine.run(["service", "update", "--detach", "--label-add", "com.docker.lb.sticky_session_cookie=session", "web"])
        try await cluster.waitUntilConverged()
        _ = try await ingest()
        var current = try await routes()
        #expect(current.sticky["web.local"] == "session")
        #expect(current.upstreams == (try await cluster.routes()))

        // 5. A bad port label: the last valid routing is kept, with a diagnostic naming the label.
        let beforeBadPort = current.upstreams
        try await engine.run(["service", "update", "--detach", "--label-add", "com.docker.lb.port=eighty", "web"])
        try await cluster.waitUntilConverged()
        report = try await ingest()
        #expect((report["events"] as! [String]).contains { $0.hasPrefix("docker:service.updated:") })
        current = try await routes()
        #expect(current.upstreams == beforeBadPort)
        #expect(current.diagnostics.contains { $0.contains("port") && $0.contains("eighty") }, "\(current.diagnostics)")
        try await engine.run(["service", "update", "--detach", "--label-add", "com.docker.lb.port=8080", "web"])
        try await cluster.waitUntilConverged()
        _ = try await ingest()
        #expect(try await routes().diagnostics.isEmpty)

        // 6. A rolling update: the upstreams are exactly the new tasks.
        let oldTasks = try await cluster.runningTasks(of: "web")
        try await engine.run(["service", "update", "--detach", "--env-add", "RELEASE=2", "--update-parallelism", "0", "web"])
        try await cluster.waitUntilConverged(updating: "web")
        _ = try await ingest()
        let newTasks = try await cluster.runningTasks(of: "web")
        #expect(newTasks.count == 3 && newTasks.isDisjoint(with: oldTasks), "every task was replaced")
        current = try await routes()
        #expect(current.upstreams == (try await cluster.routes()))
        #expect(current.tasks["web.local"] == newTasks)

        // 7. Removal: api's frontend goes (its tasks may still be listed, running, with DesiredState remove).
        try await engine.run(["service", "rm", "api"])
        _ = try await ingest()
        current = try await routes()
        #expect(current.upstreams["api.local"] == nil)
        #expect(current.upstreams == (try await cluster.routes()))

        // 8. The same cluster listed again appends nothing (tasks winding down may still report; wait until
        // the engine has settled, then list twice).
        try await cluster.waitUntilConverged()
        _ = try await ingest()
        report = try await ingest()
        #expect(report["appended"] as? Int == 0 && (report["events"] as! [String]).isEmpty, "\(report)")
        #expect(try await cli.run(["verify"]).status == 0)
    }

    @Test("following: a new service is in the log within 2 s of its task running, heard from /events (the interval is 60 s); SIGTERM stops it with exit 0")
    func follow() async throws {
        let engine = try DockerEngine.shared()
        let cli = try CLI()
        defer { cli.cleanUp() }
        let cluster = EngineListing(engine: engine)
        try await engine.run(["network", "create", "--driver", "overlay", "follow"])
        defer { _ = try? engine.docker(["network", "rm", "follow"]) }

        let ingest = try BackgroundProcess(CLI.executable.path, ["ingest", "docker", "--host", engine.host, "--interval", "60s",
                                                                  "--db", cli.database, "--log-level", "debug"],
                                           logPath: cli.directory.appendingPathComponent("ingest.log").path)
        defer { ingest.stop() }
        #expect(await Patience.wait { ingest.output.contains("Docker event stream open") && ingest.output.contains("listed ") },
                "\(ingest.output)")

        try await engine.createService("late", network: "follow", labels: [
            "com.docker.lb.hosts": "late.local", "com.docker.lb.port": "8080", "com.docker.lb.network": "follow",
        ])
        defer { _ = try? engine.docker(["service", "rm", "late"]) }
        try await cluster.waitUntilConverged()
        let task = try #require(try await cluster.tasks(of: "late").first { $0.state == "running" })

        // The task's running report, as the ingest recorded it: when it was appended, against when the
        // engine says the task started running (one machine, one clock).
        func recorded() async throws -> String? {
            let events = try json(try await cli.run(["events", "--json"]).stdout) as! [[String: Any]]
            return events.last { event in
                let data = (event["data"] as? [String: Any])?["task"] as? [String: Any]
                return data?["id"] as? String == task.id && data?["state"] as? String == "running"
            }?["recordedAt"] as? String
        }
        #expect(try await Patience.wait { try await recorded() != nil }, "\(ingest.output)")
        let recordedAt = try #require(try await recorded())
        let delay = try #require(EngineListing.seconds(recordedAt)) - task.since
        #expect(delay < 2, "recorded \(delay) s after the task ran: \(ingest.output)")
        #expect(try Routes(try await cli.run(["routes", "--json"]).stdout).upstreams == (try await cluster.routes()))

        kill(ingest.pid, SIGTERM)
        #expect(await Patience.wait { !ingest.isRunning })
        #expect(ingest.exitStatus == 0, "\(ingest.output)")
        #expect(ingest.output.hasSuffix("routeledger: stopped\n"), "\(ingest.output)")
    }
}

/// What the engine lists, read straight from its API (JSONSerialization, not RouteLedger's reader): the
/// routes Interlock's rules give for it, as the tests' expectation.
struct EngineListing {
    let engine: DockerEngine
    var api: String { "/v\(engine.apiVersion)" }

    struct EngineTask {
        var id: String
        var service: String
        var state: String
        var desiredState: String
        /// Network id → address (without the prefix length).
        var addresses: [String: String]
        /// When the task reached its state (Status.Timestamp), in seconds since the epoch.
        var since: Double
        var env: [String]
    }

    func services() async throws -> [[String: Any]] { try await engine.get(api + "/services") as! [[String: Any]] }

    func networks() async throws -> [String: String] {
        let list = try await engine.get(api + "/networks") as! [[String: Any]]
        return Dictionary(list.map { ($0["Name"] as! String, $0["Id"] as! String) }) { a, _ in a }
    }

    func tasks() async throws -> [EngineTask] {
        try (await engine.get(api + "/tasks") as! [[String: Any]]).map { task in
            let status = task["Status"] as! [String: Any]
            var addresses: [String: String] = [:]
            for attachment in task["NetworksAttachments"] as? [[String: Any]] ?? [] {
                let network = (attachment["Network"] as! [String: Any])["ID"] as! String
                if let address = (attachment["Addresses"] as? [String])?.first { addresses[network] = Self.withoutPrefix(address) }
            }
            let container = ((task["Spec"] as? [String: Any])?["ContainerSpec"] as? [String: Any]) ?? [:]
            return EngineTask(id: task["ID"] as! String, service: task["ServiceID"] as! String, state: status["State"] as! String,
                        desiredState: task["DesiredState"] as! String, addresses: addresses,
                        since: Self.seconds(status["Timestamp"] as! String) ?? 0, env: container["Env"] as? [String] ?? [])
        }
    }

    func serviceID(_ name: String) async throws -> String? {
        try await services().first { (($0["Spec"] as! [String: Any])["Name"] as! String) == name }?["ID"] as? String
    }

    func tasks(of name: String) async throws -> [EngineTask] {
        guard let id = try await serviceID(name) else { return [] }
        return try await tasks().filter { $0.service == id }
    }

    /// The ids of `name`'s tasks that run and are meant to.
    func runningTasks(of name: String) async throws -> Set<String> {
        Set(try await tasks(of: name).filter { $0.state == "running" && $0.desiredState == "running" }.map(\.id))
    }

    /// Waits until every service runs as many tasks as it asks for, no task is on its way up or down, and
    /// (`updating`) that service's update has completed.
    func waitUntilConverged(updating: String? = nil) async throws {
        let settled = try await Patience.wait {
            let services = try await services()
            let tasks = try await tasks()
            if let updating, let service = services.first(where: { (($0["Spec"] as! [String: Any])["Name"] as! String) == updating }) {
                let state = (service["UpdateStatus"] as? [String: Any])?["State"] as? String
                guard state == nil || state == "completed" else { return false }
            }
            for service in services {
                let id = service["ID"] as! String
                let mode = (service["Spec"] as! [String: Any])["Mode"] as! [String: Any]
                let replicas = ((mode["Replicated"] as? [String: Any])?["Replicas"] as? Int) ?? 1
                let own = tasks.filter { $0.service == id }
                // As many running as asked for; none on its way up (meant to run, not yet running) or down
                // (running, meant to stop).
                guard own.filter({ $0.desiredState == "running" && $0.state == "running" }).count == replicas,
                      !own.contains(where: { ($0.desiredState == "running") != ($0.state == "running") && ["running", "new", "pending", "assigned", "accepted", "preparing", "ready", "starting"].contains($0.state) })
                else { return false }
            }
            // Tasks of removed services still winding down.
            let ids = Set(services.map { $0["ID"] as! String })
            return !tasks.contains { !ids.contains($0.service) && $0.state == "running" }
        }
        if !settled { throw ConvergenceFailure(listing: "\(try await tasks().map { "\($0.id) \($0.state)/\($0.desiredState)" })") }
    }

    struct ConvergenceFailure: Error { var listing: String }

    /// Host → upstreams, by Interlock's rules for the labels these tests use (`hosts`, `port`, `network`,
    /// `backend_mode`): in task mode each running task's address on the network, in vip mode the service's
    /// VIP on it.
    func routes() async throws -> [String: Upstreams] {
        let networks = try await networks()
        let tasks = try await tasks()
        var routes: [String: Upstreams] = [:]
        for service in try await services() {
            let spec = service["Spec"] as! [String: Any]
            let labels = spec["Labels"] as? [String: String] ?? [:]
            guard let host = labels["com.docker.lb.hosts"], let port = labels["com.docker.lb.port"],
                  let network = labels["com.docker.lb.network"].flatMap({ networks[$0] }) else { continue }
            var upstreams = Upstreams()
            if labels["com.docker.lb.backend_mode"] == "vip" {
                let endpoint = service["Endpoint"] as? [String: Any] ?? [:]
                for vip in endpoint["VirtualIPs"] as? [[String: Any]] ?? [] where vip["NetworkID"] as? String == network {
                    upstreams.addresses.insert(Self.withoutPrefix(vip["Addr"] as! String) + ":" + port)
                }
            } else {
                for task in tasks where task.service == service["ID"] as! String && task.state == "running" && task.desiredState == "running" {
                    if let address = task.addresses[network] { upstreams.addresses.insert(address + ":" + port) }
                }
            }
            routes[host] = upstreams
        }
        return routes
    }

    static func withoutPrefix(_ cidr: String) -> String { String(cidr.split(separator: "/").first ?? "") }

    /// Seconds since the epoch of an RFC 3339 time with up to nanoseconds (`2026-12-06T10:07:05.405559337Z`).
    static func seconds(_ text: String) -> Double? {
        let parts = text.dropLast().split(separator: ".", maxSplits: 1)
        guard text.hasSuffix("Z"), let whole = parts.first,
              let date = ISO8601DateFormatter().date(from: whole + "Z") else { return nil }
        let fraction = parts.count == 2 ? Double("0." + parts[1]) ?? 0 : 0
        return date.timeIntervalSince1970 + fraction
    }
}

/// A set of upstream addresses.
struct Upstreams: Equatable, CustomStringConvertible {
    var addresses: Set<String> = []

    func subtracting(_ other: Upstreams) -> Upstreams { Upstreams(addresses: addresses.subtracting(other.addresses)) }

    var description: String { addresses.sorted().description }
}

/// `routes --json`, by host.
struct Routes {
    var upstreams: [String: Upstreams] = [:]
    var tasks: [String: Set<String>] = [:]
    var sticky: [String: String] = [:]
    var diagnostics: [String] = []

    init(_ text: String) throws {
        let view = try json(text) as! [String: Any]
        for frontend in view["frontends"] as! [[String: Any]] {
            let host = frontend["host"] as! String
            let list = frontend["upstreams"] as! [[String: Any]]
            upstreams[host] = Upstreams(addresses: Set(list.map { $0["address"] as! String }))
            tasks[host] = Set(list.compactMap { $0["task"] as? String })
            sticky[host] = frontend["sticky"] as? String
        }
        diagnostics = (view["diagnostics"] as! [[String: Any]]).map { "\($0)" }
    }

    /// A reload's upstream changes by host.
    static func upstreamChanges(_ reload: [String: Any]) -> [String: UpstreamChange] {
        let diff = reload["diff"] as! [String: Any]
        var changes: [String: UpstreamChange] = [:]
        for change in diff["upstreams"] as! [[String: Any]] {
            changes[change["host"] as! String] = UpstreamChange(added: Set(change["added"] as! [String]), removed: Set(change["removed"] as! [String]))
        }
        return changes
    }
}

/// The addresses a reload added to a frontend and removed from it.
struct UpstreamChange: Equatable {
    var added: Set<String>
    var removed: Set<String>
}
