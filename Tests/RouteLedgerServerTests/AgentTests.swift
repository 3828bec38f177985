import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RouteLedgerAgent
import RouteLedgerCore
import RouteLedgerServer
import RouteLedgerStore
import ServiceLifecycle
import Testing
import TestSupport

/// A stand-in for nginx: `-t -c FILE` refuses a file that serves bad.local; `-s reload` succeeds unless a
/// `fail-reload` file exists. Each successful reload adds a line to `reloads`.
func standInNginx(in directory: TemporaryDirectory) throws -> String {
    let path = directory.path("nginx-stand-in")
    let script = """
        #!/bin/sh
        case "$1" in
          -t) if grep -q 'server_name bad.local;' "$3"; then echo "nginx: [emerg] stand-in refuses bad.local in $3"; exit 1; fi; exit 0 ;;
          -s) if [ -e '\(directory.path("fail-reload"))' ]; then echo "nginx: [error] stand-in reload failed"; exit 1; fi
              echo reload >> '\(directory.path("reloads"))'; exit 0 ;;
        esac
        exit 2
        """
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
}

func service(_ name: String, host: String) -> String {
    #"{"id":"agent-\#(name)","type":"service.created","time":"2026-11-27T12:00:00Z","data":{"service":{"id":"s-\#(name)","name":"\#(name)","labels":{"com.docker.lb.hosts":"\#(host)","com.docker.lb.port":"80"},"networks":["n-demo"],"vips":[]}}}"#
}

func task(_ name: String, ip: String) -> String {
    #"{"id":"agent-\#(name)-t","type":"task.updated","time":"2026-11-27T12:00:01Z","data":{"task":{"id":"\#(name)-t","serviceId":"s-\#(name)","state":"running","desiredState":"running","addresses":[{"networkId":"n-demo","addr":"\#(ip)/24"}]}}}"#
}

@Suite("proxy agent", .serialized)
struct AgentTests {
    @Test("applies a new version, refuses one nginx rejects without retrying it, tries the next, keeps the last good file")
    func rejectedVersions() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let nginx = try standInNginx(in: fixture.directory)
        let app = try buildApplication(log: fixture.log, configuration: ServerConfiguration(port: 0, token: ServerFixture.token))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let file = ConfigFile(path: fixture.directory.path("nginx.conf"))
            let configuration = AgentConfiguration(
                server: "http://127.0.0.1:\(port)", configFile: file, nginx: NginxControl(binary: nginx),
                token: ServerFixture.token, proxyID: "proxy-a", wait: .seconds(1), requestGrace: Patience.duration)
            var withMetrics = configuration
            withMetrics.metricsFile = fixture.directory.path("agent.prom")
            let agent = Agent(configuration: withMetrics)
            func metrics() -> String { (try? String(contentsOfFile: fixture.directory.path("agent.prom"), encoding: .utf8)) ?? "" }
            func post(_ lines: [String]) async throws {
                let response = try await client.execute(uri: "/v1/events", method: .post, headers: authorized,
                                                        body: ByteBuffer(string: lines.joined(separator: "\n") + "\n"))
                #expect(response.status == .created)
            }

            // 1. The current version is applied: the file is replaced and nginx reloaded.
            let first = try #require(try fixture.log.reloads().last)
            #expect(await agent.step() == .applied(version: first.version))
            #expect(file.version() == first.version)
            let good = try #require(file.read())

            // 2. A version nginx refuses: rejected, the file is untouched.
            try await post([service("bad", host: "bad.local"), task("bad", ip: "10.0.7.1")])
            let bad = try #require(try fixture.log.reloads().last)
            guard case .rejected(let version, let error) = await agent.step() else { Issue.record("not rejected"); return }
            #expect(version == bad.version)
            #expect(error.contains("stand-in refuses bad.local"))
            #expect(file.read() == good)

            // 3. Not retried: the next round waits and finds nothing new; nor after a restart, which reads the
            //    refused version kept beside the file.
            #expect(await agent.step() == .unchanged)
            let restarted = Agent(configuration: configuration)
            #expect(await restarted.refused == bad.version)
            #expect(await restarted.step() == .unchanged)

            // 4. A newer version is tried and applied.
            try await post([#"{"id":"agent-bad-gone","type":"service.removed","time":"2026-11-27T12:00:02Z","data":{"serviceId":"s-bad"}}"#,
                            service("good", host: "good.local"), task("good", ip: "10.0.7.2")])
            let next = try #require(try fixture.log.reloads().last)
            #expect(await agent.step() == .applied(version: next.version))
            #expect(file.read()?.contains("server_name good.local;") == true)

            // 5. A failed reload puts the last good file back; the version is tried again (reported once as
            //    proxy.failed, the host's problem, never proxy.rejected: nginx -t accepted it) and applied once
            //    nginx reloads. The metrics say the host has a problem while it lasts.
            let applied = try #require(file.read())
            #expect(FileManager.default.createFile(atPath: fixture.directory.path("fail-reload"), contents: nil))
            try await post([service("more", host: "more.local"), task("more", ip: "10.0.7.3")])
            let more = try #require(try fixture.log.reloads().last)
            for _ in 0..<2 {
                guard case .reloadFailed(let version, let reloadError) = await agent.step() else { Issue.record("reload failure not reported"); return }
                #expect(version == more.version)
                #expect(reloadError.contains("stand-in reload failed"))
                #expect(file.read() == applied)
                #expect(!FileManager.default.fileExists(atPath: file.candidatePath))
            }
            #expect(metrics().contains("routeledger_agent_host_problem 1\n"))
            #expect(metrics().contains("routeledger_agent_rounds_total{outcome=\"reload_failed\"} 2\n"))
            try FileManager.default.removeItem(atPath: fixture.directory.path("fail-reload"))
            #expect(await agent.step() == .applied(version: more.version))
            #expect(await agent.step() == .unchanged)  // sends the last report
            #expect(metrics().contains("routeledger_agent_host_problem 0\n"))
            #expect(metrics().contains("routeledger_agent_rounds_total{outcome=\"applied\"} 3\n"))
            #expect(metrics().contains("routeledger_agent_rounds_total{outcome=\"rejected\"} 1\n"))
            #expect(metrics().contains("routeledger_agent_version_info{state=\"running\",version=\"\(more.version)\"} 1\n"))
            #expect(metrics().contains("routeledger_agent_server_up 1\n"))

            // The log records what the proxy ran, what it refused, and what its host could not run.
            let reports = try fixture.log.events(after: 0).filter { [.proxyApplied, .proxyRejected, .proxyFailed].contains($0.type) }
            #expect(reports.map(\.type) == [.proxyApplied, .proxyRejected, .proxyApplied, .proxyFailed, .proxyApplied])
            #expect(try fixture.log.proxyReports(for: bad).map(\.outcome) == [.rejected])
            #expect(try fixture.log.proxyReports(for: more).map(\.outcome) == [.failed, .applied])
            #expect(try fixture.log.proxyReports(for: next).map(\.report.proxy) == ["proxy-a"])
            let reloads = try String(contentsOfFile: fixture.directory.path("reloads"), encoding: .utf8)
            #expect(reloads.split(separator: "\n").count == 3)
        }
    }

    @Test("several servers: the agent moves to the next when one fails, and never takes an older reload than nginx runs, also after a restart")
    func failover() async throws {
        let current = try ServerFixture()
        defer { current.remove() }
        // A replica whose feed lags: the same log without its last scenario, so its newest reload is older.
        let lagging = try ServerFixture(scenarios: ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl"])
        defer { lagging.remove() }
        let newest = try #require(try current.log.reloads().last)
        let older = try #require(try lagging.log.reloads().last)
        #expect(older.id < newest.id && older.version != newest.version)
        let nginx = try standInNginx(in: current.directory)
        let dead = "http://127.0.0.1:\(try freeLoopbackPort())"
        let file = ConfigFile(path: current.directory.path("nginx.conf"))
        @Sendable func agent(_ servers: [String]) -> Agent {
            Agent(configuration: AgentConfiguration(servers: servers, configFile: file, nginx: NginxControl(binary: nginx),
                                                    proxyID: "proxy-f", wait: .seconds(1), requestGrace: Patience.duration))
        }
        let currentApp = try buildApplication(log: current.log, configuration: ServerConfiguration(port: 0, token: ServerFixture.token))
        let laggingApp = try buildApplication(log: lagging.log, configuration: ServerConfiguration(port: 0, token: ServerFixture.token))
        try await currentApp.test(.live) { currentClient in
            try await laggingApp.test(.live) { laggingClient in
                let a = "http://127.0.0.1:\(try #require(currentClient.port))", b = "http://127.0.0.1:\(try #require(laggingClient.port))"
                // A dead server first: the agent moves on and applies the newest reload from the next.
                let first = agent([dead, a])
                guard case .serverAway(let reason) = await first.step() else { Issue.record("the dead server answered"); return }
                #expect(reason.hasPrefix("cannot reach \(dead)"))
                #expect(await first.server == a)
                #expect(await first.step() == .applied(version: newest.version))
                #expect(await first.runningReload == newest.id)
                let applied = try #require(file.read())

                // Restarted with the dead server and the lagging replica: the older reload is refused, nginx keeps
                // the newest (the reload it runs is kept beside the file), and the agent keeps looking.
                let restarted = agent([dead, b])
                #expect(await restarted.runningReload == newest.id)
                _ = await restarted.step()
                guard case .serverAway(let stale) = await restarted.step() else { Issue.record("the lagging replica's reload was taken"); return }
                #expect(stale == "\(b) serves reload \(older.id), older than reload \(newest.id) that nginx runs")
                #expect(file.read() == applied)
                #expect(await restarted.server == dead, "it moved on")

                // With a replica that is current, it is up to date.
                let again = agent([b, a])
                _ = await again.step()
                #expect(await again.step() == .unchanged)
            }
        }
    }

    @Test("nginx -t of a TLS configuration: a secret or the stream module missing on this host is the host's problem; a broken directive is the configuration's",
          .enabled(if: Nginx.shouldRun))
    func tlsHostProblems() async throws {
        let directory = try TemporaryDirectory("routeledger-agent-tls")
        defer { directory.remove() }
        let secrets = directory.path("secrets")
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        let ca = try await TestCA(in: directory.url.path)
        let made = try await ca.issue("shop", for: ["shop.local"])
        try FileManager.default.copyItem(atPath: made.certificate, toPath: secrets + "/shop-2026")
        try FileManager.default.copyItem(atPath: made.key, toPath: secrets + "/shop-2026-key")
        let key = { (host: String) in FrontendKey(cluster: "", host: host) }
        let view = ProxyView(cluster: "", frontends: [
            ProxyFrontend(key: key("shop.local"), stickyCookie: nil, ipHash: false, contextRootRewrite: false, redirects: [], websocketEndpoints: [],
                          tls: TLSSettings(certificate: "shop-2026", key: "shop-2026-key"), servers: [ProxyServer(address: "127.0.0.1:9")]),
            ProxyFrontend(key: key("vault.local"), stickyCookie: nil, ipHash: false, contextRootRewrite: false, redirects: [], websocketEndpoints: [],
                          tls: TLSSettings(passthrough: true), servers: [ProxyServer(address: "127.0.0.1:10")]),
        ])
        let prefix = directory.url.path + "/"
        let nginx = NginxControl(binary: try Nginx.binary(), arguments: ["-p", prefix, "-e", prefix + "error.log", "-g", "pid \(prefix)nginx.pid;"])
        func test(_ settings: NginxSettings, appending extra: String = "") async throws -> NginxControl.TestOutcome {
            let file = directory.path("nginx.conf")
            try (NginxConfig.render(view, version: view.version, settings: settings) + extra).write(toFile: file, atomically: true, encoding: .utf8)
            return await nginx.test(file)
        }
        let good = NginxSettings(listenPort: 8080, listenAddress: "127.0.0.1", tlsPort: 8443, secretsDirectory: secrets, terminationPort: 8444)
        #expect(try await test(good) == .accepted)

        var noSecrets = good
        noSecrets.secretsDirectory = directory.path("not-mounted")
        guard case .unavailable(let secret) = try await test(noSecrets) else { Issue.record("a missing secret is not the configuration's fault"); return }
        #expect(secret.contains("cannot load certificate \"\(directory.path("not-mounted"))/shop-2026\""), "\(secret)")

        var noModule = good
        noModule.streamModule = directory.path("ngx_stream_module.so")
        guard case .unavailable(let module) = try await test(noModule) else { Issue.record("a missing module is not the configuration's fault"); return }
        #expect(module.contains("dlopen()"), "\(module)")

        guard case .refused(let broken) = try await test(good, appending: "bogus_directive on;\n") else { Issue.record("a broken directive is the configuration's"); return }
        #expect(broken.contains("unknown directive \"bogus_directive\""), "\(broken)")
    }

    @Test("a server that is away is reported as such, not as a configuration")
    func serverAway() async throws {
        let directory = try TemporaryDirectory("routeledger-agent")
        defer { directory.remove() }
        let port = try freeLoopbackPort()
        let agent = Agent(configuration: AgentConfiguration(
            server: "http://127.0.0.1:\(port)", configFile: ConfigFile(path: directory.path("nginx.conf")),
            nginx: NginxControl(binary: "/bin/false"), proxyID: "proxy-b", wait: .seconds(1), requestGrace: Patience.duration))
        guard case .serverAway = await agent.step() else { Issue.record("expected serverAway"); return }
        #expect(!FileManager.default.fileExists(atPath: directory.path("nginx.conf")))
    }

    @Test("the agent process waits out a server that is away, then applies once it answers; SIGTERM in a long-poll stops it with exit 0")
    func reconnects() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let nginx = try standInNginx(in: fixture.directory)
        let port = try freeLoopbackPort()
        try Data(ServerFixture.token.utf8).write(to: URL(fileURLWithPath: fixture.directory.path("token")))
        chmod(fixture.directory.path("token"), 0o600)
        let agent = try BackgroundProcess(Executables.url("routeledger").path, [
            "agent", "--server", "http://127.0.0.1:\(port)", "--nginx-conf", fixture.directory.path("nginx.conf"), "--nginx-bin", nginx,
            // A long-poll of five minutes: SIGTERM must end it, not wait for it.
            "--token-file", fixture.directory.path("token"), "--proxy-id", "proxy-r", "--wait", "300s"], logPath: fixture.directory.path("agent.out"))
        defer { agent.stop() }
        _ = await Patience.wait { agent.output.contains("server away, retrying") }
        #expect(agent.isRunning)
        #expect(agent.output.contains("server away, retrying"))
        let app = try buildApplication(log: fixture.log, configuration: ServerConfiguration(port: port, token: ServerFixture.token))
        let server = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await server.run() }
        _ = try await Patience.wait { try !fixture.log.events(after: 29).isEmpty }
        let reports = try fixture.log.events(after: 29)
        #expect(reports.map(\.type) == [.proxyApplied], "agent output:\n\(agent.output)")
        #expect(ConfigFile(path: fixture.directory.path("nginx.conf")).version() == (try fixture.log.reloads().last?.version))
        // Up to date, it waits in a long-poll: SIGTERM ends it at once.
        #expect(await Patience.wait { (try? await self.watchers(port)) == 1 }, "the agent's long-poll is open")
        let sent = ContinuousClock.now
        kill(agent.pid, SIGTERM)
        #expect(await Patience.wait { !agent.isRunning })
        print("agent stopped \(ContinuousClock.now - sent) after SIGTERM")
        #expect(agent.exitStatus == 0, "agent output:\n\(agent.output)")
        await server.triggerGracefulShutdown()
        _ = await running.result
    }

    /// The server's open long-polls, from its metrics.
    private func watchers(_ port: Int) async throws -> Int? {
        let (status, output) = try await Command.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/metrics"], timeout: 10)
        guard status == 0 else { return nil }
        let line = output.split(separator: "\n").first { $0.hasPrefix("routeledger_watchers ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }
}
