import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import RouteLedgerCore
import RouteLedgerStore
import ServiceLifecycle
import Testing
import TestSupport

/// Events of the end-to-end cluster: one overlay network whose "container" addresses are loopback
/// addresses (127.0.0.0/8 routes locally on Linux), so nginx reaches real backends bound to them.
struct ClusterScript {
    let backendPort: Int
    private var clock = 0

    init(backendPort: Int) { self.backendPort = backendPort }

    private mutating func time() -> String {
        clock += 1
        return "2026-11-27T12:\(String(format: "%02d", clock / 60)):\(String(format: "%02d", clock % 60))Z"
    }

    mutating func network() -> String {
        #"{"id":"e2e-net","type":"network.created","time":"\#(time())","data":{"network":{"id":"n-e2e","name":"e2e","driver":"overlay"}}}"#
    }

    /// `service.created`, or with a `version` above 1 the service's `service.updated`.
    mutating func service(_ name: String, _ labels: [String: String], vip: String? = nil, version: Int = 1) -> String {
        var all = labels
        all["port"] = String(backendPort)
        let labelJSON = all.keys.sorted().map { #""com.docker.lb.\#($0)":"\#(all[$0]!)""# }.joined(separator: ",")
        let vips = vip.map { #"[{"networkId":"n-e2e","addr":"\#($0)/8"}]"# } ?? "[]"
        let (id, type) = version == 1 ? ("e2e-svc-\(name)", "service.created") : ("e2e-svc-\(name)-\(version)", "service.updated")
        return #"{"id":"\#(id)","type":"\#(type)","time":"\#(time())","data":{"service":{"id":"s-\#(name)","name":"\#(name)","labels":{\#(labelJSON)},"networks":["n-e2e"],"vips":\#(vips)}}}"#
    }

    mutating func task(_ id: String, of service: String, ip: String, desired: String = "running", version: Int = 1) -> String {
        #"{"id":"e2e-task-\#(id)-\#(version)","type":"task.updated","time":"\#(time())","data":{"task":{"id":"\#(id)","serviceId":"s-\#(service)","state":"running","desiredState":"\#(desired)","addresses":[{"networkId":"n-e2e","addr":"\#(ip)/8"}]}}}"#
    }
}

/// The pieces of the stack, each stopped by the test that started it.
struct Stack {
    let directory: TemporaryDirectory
    let token = "e2e-token-51c2"
    let serverPort: Int
    let nginxPort: Int
    let backendPort: Int
    let client = HTTPClient.shared

    /// The log: a SQLite file in the directory, or a database on the test support's PostgreSQL server.
    let database: String

    var server: String { "http://127.0.0.1:\(serverPort)" }

    /// Posts events (JSON Lines) to the server's append endpoint.
    func post(_ lines: [String]) async throws {
        var request = HTTPClientRequest(url: "\(server)/v1/events")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(string: lines.joined(separator: "\n") + "\n"))
        let response = try await client.execute(request, timeout: TimeAmount(Patience.duration))
        let body = try await response.body.collect(upTo: 1 << 20)
        #expect((200..<300).contains(response.status.code), "POST /v1/events: \(String(buffer: body))")
    }

    /// One request through nginx for `host`: the upstream that served it (x-upstream-addr) and the body.
    func get(host: String, cookie: String? = nil) async throws -> (upstream: String, body: String, headers: [String: String]) {
        do {
            return try await getOnce(host: host, cookie: cookie)
        } catch {
            // A reload retires nginx's old workers, which close their idle keep-alive connections; a client
            // that picked such a connection retries the (idempotent) GET once, as browsers do.
            return try await getOnce(host: host, cookie: cookie)
        }
    }

    private func getOnce(host: String, cookie: String?) async throws -> (upstream: String, body: String, headers: [String: String]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(nginxPort)/")
        request.headers.add(name: "Host", value: host)
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        let response = try await client.execute(request, timeout: TimeAmount(Patience.duration))
        let body = try await response.body.collect(upTo: 1 << 16)
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name.lowercased()] = value }
        return (headers["x-upstream-addr"] ?? "status \(response.status.code)", String(buffer: body), headers)
    }

    /// Requests per upstream over `count` requests for `host`.
    func spread(host: String, count: Int) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for _ in 0..<count {
            let response = try await get(host: host)
            #expect(response.upstream == response.body + ":\(backendPort)", "x-upstream-addr names the backend that answered")
            counts[response.body, default: 0] += 1
        }
        return counts
    }
}

/// A backend that answers every request with its own address.
func backend(_ address: String, port: Int) -> some Service {
    let router = Router()
    router.get("/") { _, _ in address }
    router.get("/**") { _, _ in address }
    return Application(router: router, configuration: .init(address: .hostname(address, port: port)),
                       logger: Logger(label: "e2e.backend", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// The log the stack runs on.
enum LogEngine: String, CustomTestStringConvertible {
    case sqlite = "SQLite"
    case postgres = "PostgreSQL"

    /// SQLite always; PostgreSQL when its programs are installed, and always with CI=true.
    static var all: [LogEngine] { PostgresServer.shouldRun ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }
}

@Suite("end to end: serve, agent and real nginx", .serialized)
struct EndToEndTests {
    @Test("nginx fed by the agent routes like Interlock: hosts, default backend, canaries, sticky sessions, drains; every reload applied",
          .enabled(if: Nginx.shouldRun), .timeLimit(.minutes(4)), arguments: LogEngine.all)
    func interlockThroughNginx(engine: LogEngine) async throws {
        let directory = try TemporaryDirectory("routeledger-e2e")
        let database = engine == .sqlite ? directory.path("e2e.db") : try await PostgresServer.shared().createDatabase()
        let stack = Stack(directory: directory, serverPort: try freeLoopbackPort(), nginxPort: try freeLoopbackPort(),
                          backendPort: try freeLoopbackPort(), database: database)
        var script = ClusterScript(backendPort: stack.backendPort)
        let taskAddresses = ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5", "127.0.3.1", "127.0.3.2", "127.0.3.3", "127.0.4.1"]
        let backends = ServiceGroup(services: (taskAddresses + ["127.0.2.1", "127.0.2.2"]).map { backend($0, port: stack.backendPort) },
                                    gracefulShutdownSignals: [], logger: Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() }))
        let backendRun = Task { try await backends.run() }
        var running: ProxyStack?
        defer {
            running?.stop()
            // KEEP_E2E=1 keeps the directory (logs, configs, database) for a post-mortem.
            if ProcessInfo.processInfo.environment["KEEP_E2E"] == "1" { print("e2e directory: \(directory.url.path)") } else { directory.remove() }
        }
        do {
            let proxy = try await ProxyStack.start(stack, network: script.network(), backends: taskAddresses + ["127.0.2.1", "127.0.2.2"])
            running = proxy
            let log = proxy.log
            func drive(_ lines: [String]) async throws { try await proxy.drive(lines) }

            try await drive([
                script.service("web", ["hosts": "web.local"]),
                script.task("web-1", of: "web", ip: "127.0.1.1"), script.task("web-2", of: "web", ip: "127.0.1.2"),
                script.task("web-3", of: "web", ip: "127.0.1.3"), script.task("web-4", of: "web", ip: "127.0.1.4"),
                script.service("web-canary", ["hosts": "web.local"]),
                script.task("webc-1", of: "web-canary", ip: "127.0.1.5"),
                script.service("api", ["hosts": "api.local", "backend_mode": "vip"], vip: "127.0.2.1"),
                script.task("api-1", of: "api", ip: "127.0.9.1"), script.task("api-2", of: "api", ip: "127.0.9.2"),
                script.service("api-canary", ["hosts": "api.local", "backend_mode": "vip"], vip: "127.0.2.2"),
                script.task("apic-1", of: "api-canary", ip: "127.0.9.3"),
                script.service("app", ["hosts": "app.local", "sticky_session_cookie": "session"]),
                script.task("app-1", of: "app", ip: "127.0.3.1"), script.task("app-2", of: "app", ip: "127.0.3.2"),
                script.task("app-3", of: "app", ip: "127.0.3.3"),
                script.service("fallback", ["default_backend": "true"]),
                script.task("fb-1", of: "fallback", ip: "127.0.4.1"),
            ])

            // Host routing, and Interlock's response headers.
            let web = try await stack.get(host: "web.local")
            #expect(web.body.hasPrefix("127.0.1."))
            for header in ["x-request-id", "x-proxy-id", "x-server-info", "x-upstream-addr"] {
                #expect(web.headers[header] != nil, "response header \(header)")
            }
            // A host nobody claims goes to the default backend.
            #expect(try await stack.get(host: "unknown.example").body == "127.0.4.1")

            // Task mode canary: 1 task next to 4 gets 1/5 of 1000 requests. nginx's round robin is close to
            // exact; the tolerance of ±5 points is 3.9 standard deviations even for independent random
            // choices (sd = sqrt(1000 × 0.2 × 0.8) = 12.6 requests = 1.26 points).
            let taskSpread = try await stack.spread(host: "web.local", count: 1_000)
            let canaryShare = Double(taskSpread["127.0.1.5"] ?? 0) / 1_000
            #expect(abs(canaryShare - 0.2) <= 0.05, "task-mode canary share \(canaryShare): \(taskSpread)")
            #expect(Set(taskSpread.keys) == ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5"])

            // VIP mode canary: one VIP next to one VIP gets 1/2 (sd 1.6 points; tolerance ±5).
            let vipSpread = try await stack.spread(host: "api.local", count: 1_000)
            let vipShare = Double(vipSpread["127.0.2.2"] ?? 0) / 1_000
            #expect(abs(vipShare - 0.5) <= 0.05, "vip-mode canary share \(vipShare): \(vipSpread)")
            #expect(Set(vipSpread.keys) == ["127.0.2.1", "127.0.2.2"])
            print("e2e: task-mode canary \(taskSpread["127.0.1.5"] ?? 0)/1000 (\(taskSpread)); vip-mode canary \(vipSpread["127.0.2.2"] ?? 0)/1000")

            // A sticky cookie pins a client to one upstream; different clients spread.
            var pinned: Set<String> = []
            for _ in 0..<50 { pinned.insert(try await stack.get(host: "app.local", cookie: "session=client-42").body) }
            #expect(pinned.count == 1, "one client, one upstream: \(pinned)")
            var clients: Set<String> = []
            for index in 0..<30 { clients.insert(try await stack.get(host: "app.local", cookie: "session=client-\(index)").body) }
            #expect(clients.count >= 2, "30 clients over 3 upstreams: \(clients)")

            // A drained task (desired state shutdown, still running) gets no new request after its reload.
            try await drive([script.task("web-4", of: "web", ip: "127.0.1.4", desired: "shutdown", version: 2)])
            let drained = try await stack.spread(host: "web.local", count: 500)
            #expect(drained["127.0.1.4"] == nil, "the drained task still got requests: \(drained)")
            #expect(Set(drained.keys) == ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.5"])

            // Every reload of the log was applied by the proxy, and the log says so.
            let reloads = try log.reloads()
            #expect(reloads.count >= 12)
            for reload in reloads {
                let reports = try log.proxyReports(for: reload)
                #expect(reports.contains { $0.applied && $0.report.proxy == "e2e-proxy" }, "reload \(reload.id) has no proxy.applied")
                #expect(!reports.contains { !$0.applied }, "reload \(reload.id) was rejected: \(reports)")
            }
        } catch {
            Issue.record("\(error)\n\(running?.postMortem ?? "")")
        }
        await backends.triggerGracefulShutdown()
        _ = await backendRun.result
    }
}

/// serve, the agent and nginx on one log, started in the stack's directory; `stop()` ends them by process id.
final class ProxyStack: @unchecked Sendable {
    let stack: Stack
    let log: EventLog
    private(set) var processes: [BackgroundProcess] = []

    private init(stack: Stack, log: EventLog) {
        self.stack = stack
        self.log = log
    }

    /// Starts nginx on the configuration of a log holding only `network`, then serve and an agent that
    /// feeds nginx with `nginxOptions` (given to `render nginx` and the agent alike), and waits until
    /// every backend address listens (plain HTTP or TLS).
    static func start(_ stack: Stack, network: String, backends: [String], nginxOptions: [String] = []) async throws -> ProxyStack {
        let nginx = try Nginx.binary()
        let directory = stack.directory
        let routeledger = Executables.url("routeledger").path
        let log = try EventLog(path: stack.database)
        let running = ProxyStack(stack: stack, log: log)
        do {
            _ = try log.append(contentsOf: Array((network + "\n").utf8))
            try Data(stack.token.utf8).write(to: URL(fileURLWithPath: directory.path("token")))
            chmod(directory.path("token"), 0o600)
            let conf = directory.path("nginx.conf")
            let options = (["--port", String(stack.nginxPort), "--address", "127.0.0.1"] + nginxOptions).map { "'\($0)'" }.joined(separator: " ")
            let command = "'\(routeledger)' render nginx --db '\(stack.database)' \(options) > '\(conf)'"
            let rendered = try await Command.run("/bin/sh", ["-c", command])
            #expect(rendered.status == 0, "render nginx: \(rendered.output)")
            let prefix = directory.url.path + "/"
            let wrapper = directory.path("nginx-wrapper")
            try "#!/bin/sh\nexec \(nginx) -p \(prefix) -e \(prefix)error.log -g 'pid \(prefix)nginx.pid;' \"$@\"\n"
                .write(toFile: wrapper, atomically: true, encoding: .utf8)
            chmod(wrapper, 0o755)

            running.processes.append(try BackgroundProcess(nginx, ["-p", prefix, "-e", prefix + "error.log", "-c", conf,
                                                                   "-g", "pid \(prefix)nginx.pid; daemon off;"], logPath: directory.path("nginx.out")))
            running.processes.append(try BackgroundProcess(routeledger, ["serve", "--db", stack.database, "--listen", "127.0.0.1:\(stack.serverPort)",
                                                                         "--token-file", directory.path("token"), "--poll", "50ms"],
                                                           logPath: directory.path("serve.out")))
            try await waitUntil("the server answers /healthz", seconds: Patience.seconds) {
                (try? await stack.client.execute(HTTPClientRequest(url: "\(stack.server)/healthz"), timeout: .seconds(2)).status) == .ok
            }
            running.processes.append(try BackgroundProcess(routeledger, ["agent", "--server", stack.server, "--nginx-conf", conf, "--nginx-bin", wrapper,
                                                                         "--token-file", directory.path("token"), "--proxy-id", "e2e-proxy",
                                                                         "--port", String(stack.nginxPort), "--address", "127.0.0.1", "--wait", "5s",
                                                                         "--log-level", "debug"] + nginxOptions,
                                                           logPath: directory.path("agent.out")))
            for address in backends {
                try await waitUntil("backend \(address) listens", seconds: Patience.seconds) {
                    let url = "http://\(address):\(stack.backendPort)/"
                    // Off the cooperative pool: the backends of this process answer on it.
                    let answer = try await Command.run("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", url])
                    // A TLS backend answers plain HTTP with 400 (or closes): it listens.
                    return answer.output == "200" || answer.output == "400" || answer.status == 52 || answer.status == 56 || answer.status == 35
                }
            }
        } catch {
            running.stop()
            throw error
        }
        return running
    }

    /// Appends one event at a time; after each one that reloads, waits for the agent's proxy.applied and
    /// for nginx to serve the new version.
    func drive(_ lines: [String]) async throws {
        for line in lines {
            let before = try log.reloads().last?.id ?? 0
            try await stack.post([line])
            guard let reload = try log.reloads().last, reload.id != before else { continue }
            try await waitUntil("the agent applies reload \(reload.id)", seconds: Patience.seconds) {
                (try? self.log.proxyReports(for: reload).contains { $0.applied && $0.report.proxy == "e2e-proxy" }) == true
            }
            // nginx reloads in the background: wait until its responses name the new version.
            try await waitUntil("nginx serves reload \(reload.id)", seconds: Patience.seconds) {
                (try? await self.stack.get(host: "probe.invalid").headers["x-server-info"])?.contains(String(reload.version.prefix(12))) == true
            }
        }
    }

    /// The ends of the agent's and serve's output, for a failure's message.
    var postMortem: String {
        "--- agent:\n\(processes.count > 2 ? processes[2].output.suffix(3_000) : "")\n--- serve:\n\(processes.count > 1 ? processes[1].output.suffix(2_000) : "")"
            + "\n--- nginx error.log:\n\((try? String(contentsOfFile: stack.directory.path("error.log"), encoding: .utf8))?.suffix(2_000) ?? "")"
    }

    /// Stops the processes, newest first.
    func stop() {
        for process in processes.reversed() { process.stop() }
        processes = []
    }
}

/// Polls `condition` every 50 ms until it holds, failing after `seconds`.
func waitUntil(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TimedOut(description: "timed out after \(seconds) s waiting until \(what)")
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}
