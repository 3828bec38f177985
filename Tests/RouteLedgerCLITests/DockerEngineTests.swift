import Foundation
import Testing
import TestSupport

/// `routeledger ingest docker` against a real Docker Engine (Debian's docker.io, a single-node Swarm of the
/// test support's own): each step changes the cluster with the Docker CLI, as an operator would, and checks
/// the routes RouteLedger derives against what the engine itself lists at that moment
/// (``EngineListing/routes``), never against constants. No traffic goes to any container address; the
/// engine is reached only through its socket.
///
/// With `ROUTELEDGER_CAPTURE_DOCKER=FOLDER` the scenario also writes the engine's listing after each step
/// into FOLDER/NN-step/, with `version.json` and the run's `/events` (`events.jsonl`): how
/// `data/docker/engine-20.10/` was made.
///
/// Serialized: both tests list the whole swarm, so one's services would show up in the other's listing.
@Suite("routeledger ingest docker, on a real Docker Engine", .serialized, .enabled(if: DockerEngine.shouldRun))
struct DockerEngineTests {
    @Test("task and vip services through scaling, labels, a rolling update, a network, a drain and removal: routes as the engine lists them")
    func scenario() async throws {
        let engine = try await DockerEngine.shared()
        try await engine.removeEverything()  // what an earlier, failed test may have left
        let cli = try CLI()
        defer { cli.cleanUp() }
        let capture = try Capture(engine)
        func ingest() async throws -> [String: Any] {
            let result = try await cli.run(["ingest", "docker", "--once", "--json", "--host", engine.host])
            #expect(result.status == 0, "\(result.stderr)")
            return try json(result.stdout) as! [String: Any]
        }
        func routes() async throws -> Routes { try Routes(try await cli.run(["routes", "--json"]).stdout) }
        func reloads() async throws -> [[String: Any]] {
            try json(try await cli.run(["reloads", "--json"]).stdout) as! [[String: Any]]
        }
        /// Ingests what the engine lists once settled; returns that listing and what the ingest said.
        func step(_ name: String, settled: ((EngineListing) -> Bool)? = nil) async throws -> (EngineListing, [String: Any]) {
            let listing = try await engine.wait(for: name, until: settled ?? { $0.isSettled })
            try await capture.write(name, listing)
            return (listing, try await ingest())
        }

        try await engine.docker(["network", "create", "--driver", "overlay", "demo"])
        let labels = ["com.docker.lb.port": "8080", "com.docker.lb.network": "demo"]
        try await engine.createService("web", network: "demo", replicas: 2, labels: labels.merging(["com.docker.lb.hosts": "web.local"]) { $1 })
        try await engine.createService("api", network: "demo", labels: labels.merging([
            "com.docker.lb.hosts": "api.local", "com.docker.lb.backend_mode": "vip",
        ]) { $1 })

        // 1. Created: the overlay network, both services, their running tasks.
        var (listing, report) = try await step("01-create")
        #expect(report["api"] as? String == engine.apiVersion, "the client negotiates the engine's API version")
        let first = report["events"] as! [String]
        #expect(first.contains("docker:network.created:\(listing.networks["demo"]!)"))
        #expect(first.filter { $0.hasPrefix("docker:service.created:") }.count == 2)
        #expect(first.filter { $0.hasPrefix("docker:task.updated:") }.count == 3)
        #expect(listing.routes["web.local"]?.count == 2 && listing.routes["api.local"]?.count == 1)
        #expect(try await routes().upstreams == listing.routes)
        var reloadCount = try await reloads().count

        // 2. vip scaling: three tasks behind one VIP; no reload.
        try await engine.docker(["service", "scale", "--detach", "api=3"])
        (listing, report) = try await step("02-scale-vip")
        #expect(listing.runningTasks(of: "api").count == 3)
        #expect((report["events"] as! [String]).filter { $0.hasPrefix("docker:task.updated:") }.count == 2, "the two new tasks")
        #expect(try await routes().upstreams == listing.routes)
        #expect(try await reloads().count == reloadCount, "scaling a vip-mode service reloads no proxy")

        // 3. task scaling: one reload, which adds the new task.
        let webBefore = listing.routes["web.local"]!
        try await engine.docker(["service", "scale", "--detach", "web=3"])
        (listing, _) = try await step("03-scale-task")
        #expect(try await routes().upstreams == listing.routes)
        let all = try await reloads()
        #expect(all.count == reloadCount + 1)
        let added = listing.routes["web.local"]!.subtracting(webBefore)
        #expect(added.count == 1)
        #expect(Routes.upstreamChanges(all.last!) == ["web.local": UpstreamChange(added: added, removed: [])])
        reloadCount = all.count

        // 4. A sticky-session label: the same upstreams, a cookie.
        try await engine.docker(["service", "update", "--detach", "--label-add", "com.docker.lb.sticky_session_cookie=session", "web"])
        (listing, _) = try await step("04-sticky") { $0.service(named: "web")?.labels["com.docker.lb.sticky_session_cookie"] != nil && $0.isSettled }
        var current = try await routes()
        #expect(current.sticky["web.local"] == "session")
        #expect(current.upstreams == listing.routes)

        // 5. A bad port label: the last valid routing is kept, with a diagnostic naming the label.
        let beforeBadPort = current.upstreams
        try await engine.docker(["service", "update", "--detach", "--label-add", "com.docker.lb.port=eighty", "web"])
        (listing, report) = try await step("05-bad-port") { $0.service(named: "web")?.labels["com.docker.lb.port"] == "eighty" && $0.isSettled }
        #expect(report["events"] as! [String] == ["docker:service.updated:\(listing.service(named: "web")!.id):v\(try Self.versionIndex(listing, "web"))"])
        current = try await routes()
        #expect(current.upstreams == beforeBadPort)
        #expect(current.diagnostics.contains { $0.contains("port") && $0.contains("eighty") }, "\(current.diagnostics)")
        try await engine.docker(["service", "update", "--detach", "--label-add", "com.docker.lb.port=8080", "web"])
        (listing, _) = try await step("06-port-fixed") { $0.service(named: "web")?.labels["com.docker.lb.port"] == "8080" && $0.isSettled }
        current = try await routes()
        #expect(current.diagnostics.isEmpty && current.upstreams == listing.routes)

        // 6. A rolling update: the upstreams are exactly the new tasks.
        let oldTasks = listing.runningTasks(of: "web")
        try await engine.docker(["service", "update", "--detach", "--env-add", "RELEASE=2", "--update-parallelism", "0", "web"])
        (listing, _) = try await step("07-rolling-update") { $0.isSettled && $0.runningTasks(of: "web").isDisjoint(with: oldTasks) }
        let newTasks = listing.runningTasks(of: "web")
        #expect(newTasks.count == 3)
        current = try await routes()
        #expect(current.upstreams == listing.routes)
        #expect(current.tasks["web.local"] == newTasks)

        // 7. A second network attached to web (a task-template change: new tasks, a second VIP), routing
        // pinned to demo by its label.
        try await engine.docker(["network", "create", "--driver", "overlay", "backend"])
        let beforeAttach = listing.runningTasks(of: "web")
        try await engine.docker(["service", "update", "--detach", "--network-add", "backend", "--update-parallelism", "0", "web"])
        (listing, _) = try await step("08-network-attach") { $0.isSettled && $0.runningTasks(of: "web").isDisjoint(with: beforeAttach) }
        #expect(listing.service(named: "web")?.vips.count == 2)
        #expect(try await routes().upstreams == listing.routes)

        // 8. The node drained: every task shut down; web's frontend goes, api's VIP stays (no task behind it).
        let node = try await engine.docker(["node", "ls", "--quiet"])
        try await engine.docker(["node", "update", "--availability", "drain", node])
        (listing, _) = try await step("09-drain") { !$0.tasks.contains { $0.state == "running" } }
        current = try await routes()
        #expect(current.upstreams["web.local"] == nil && current.upstreams["api.local"] != nil)
        #expect(current.upstreams == listing.routes)
        #expect(current.diagnostics.contains { $0.contains("no running task") }, "\(current.diagnostics)")
        try await engine.docker(["node", "update", "--availability", "active", node])
        (listing, _) = try await step("10-active")
        #expect(try await routes().upstreams == listing.routes)

        // 9. Removal: api's frontend goes at once (its tasks may still be listed, running, with DesiredState
        // remove).
        try await engine.docker(["service", "rm", "api"])
        (listing, _) = try await step("11-service-removal") { $0.service(named: "api") == nil }
        current = try await routes()
        #expect(current.upstreams["api.local"] == nil)
        #expect(current.upstreams == listing.routes)

        // 10. The same cluster listed again appends nothing (wait until it has settled, list, then list again).
        (listing, _) = try await step("12-settled")
        report = try await ingest()
        #expect(report["appended"] as? Int == 0 && (report["events"] as! [String]).isEmpty, "\(report)")
        #expect(try await routes().upstreams == listing.routes)
        #expect(try await cli.run(["verify"]).status == 0)
        try await capture.finish()
        try await engine.removeEverything()
    }

    /// The `Version.Index` of service `name` in `listing`'s body.
    static func versionIndex(_ listing: EngineListing, _ name: String) throws -> Int {
        let services = try JSONSerialization.jsonObject(with: listing.servicesBody) as! [[String: Any]]
        let service = services.first { ($0["Spec"] as! [String: Any])["Name"] as? String == name }
        return (service?["Version"] as? [String: Any])?["Index"] as? Int ?? -1
    }

    @Test("following: a new service is in the log long before the interval (an hour) comes round, heard from /events; SIGTERM stops it with exit 0")
    func follow() async throws {
        let engine = try await DockerEngine.shared()
        try await engine.removeEverything()  // what an earlier, failed test may have left
        let cli = try CLI()
        defer { cli.cleanUp() }
        try await engine.docker(["network", "create", "--driver", "overlay", "follow"])

        let ingest = try BackgroundProcess(CLI.executable.path, ["ingest", "docker", "--host", engine.host, "--interval", "1h",
                                                                  "--db", cli.database, "--log-level", "debug"],
                                           logPath: cli.directory.appendingPathComponent("ingest.log").path)
        defer { ingest.stop() }
        #expect(await Patience.wait { ingest.output.contains("Docker event stream open") && ingest.output.contains("listed ") },
                "\(ingest.output)")

        try await engine.createService("late", network: "follow", labels: [
            "com.docker.lb.hosts": "late.local", "com.docker.lb.port": "8080", "com.docker.lb.network": "follow",
        ])
        let listing = try await engine.waitUntilSettled()
        let task = try #require(listing.tasks(of: "late").first { $0.state == "running" })

        // The task's running report as the ingest recorded it: when it was appended, against when the engine
        // says the task started running (one machine, one clock). Only the event stream can bring it before
        // the hourly listing; the bound is the tests' patience, not a latency (a loaded machine may take
        // seconds, and a figure would belong in a benchmark).
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
        #expect(delay < Patience.seconds, "recorded \(delay) s after the task ran: \(ingest.output)")
        #expect(try Routes(try await cli.run(["routes", "--json"]).stdout).upstreams == (try await engine.listing()).routes)

        kill(ingest.pid, SIGTERM)
        #expect(await Patience.wait { !ingest.isRunning })
        #expect(ingest.exitStatus == 0, "\(ingest.output)")
        #expect(ingest.output.hasSuffix("routeledger: stopped\n"), "\(ingest.output)")
        try await engine.removeEverything()
    }
}

/// Writes the engine's listings into `$ROUTELEDGER_CAPTURE_DOCKER` (nothing when it is not set).
struct Capture {
    let engine: DockerEngine
    let folder: URL?
    let started = Int(Date().timeIntervalSince1970) - 1

    init(_ engine: DockerEngine) throws {
        self.engine = engine
        folder = ProcessInfo.processInfo.environment["ROUTELEDGER_CAPTURE_DOCKER"].map { URL(fileURLWithPath: $0) }
        if let folder {
            try? FileManager.default.removeItem(at: folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
    }

    func write(_ step: String, _ listing: EngineListing) async throws {
        guard let folder else { return }
        try listing.write(to: folder.appendingPathComponent(step))
    }

    /// `version.json`, and the run's events (`GET /events?since=…&until=…` answers them and closes).
    func finish() async throws {
        guard let folder else { return }
        try await engine.get("/version").write(to: folder.appendingPathComponent("version.json"))
        let now = Int(Date().timeIntervalSince1970) + 1
        try await engine.get("/v\(engine.apiVersion)/events?since=\(started)&until=\(now)").write(to: folder.appendingPathComponent("events.jsonl"))
    }
}

/// `routes --json`, by host.
struct Routes {
    var upstreams: [String: Set<String>] = [:]
    var tasks: [String: Set<String>] = [:]
    var sticky: [String: String] = [:]
    var diagnostics: [String] = []

    init(_ text: String) throws {
        let view = try json(text) as! [String: Any]
        for frontend in view["frontends"] as! [[String: Any]] {
            let host = frontend["host"] as! String
            let list = frontend["upstreams"] as! [[String: Any]]
            upstreams[host] = Set(list.map { $0["address"] as! String })
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
