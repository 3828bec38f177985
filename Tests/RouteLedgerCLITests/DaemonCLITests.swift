import Foundation
import Testing
import TestSupport

/// The daemons as an init system runs them: SIGTERM or SIGINT stops them at once, exit 0.
@Suite("routeledger daemons and signals")
struct DaemonCLITests {
    @Test("serve stops on SIGTERM with a long-poll of an hour open: the poll is answered 304, exit 0; idle, SIGINT stops it too",
          arguments: [SIGTERM, SIGINT])
    func serveStops(signal: Int32) async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl"]).status == 0)
        let port = try freeLoopbackPort()
        let base = "http://127.0.0.1:\(port)"
        let serve = try BackgroundProcess(CLI.executable.path, ["serve", "--db", cli.database, "--listen", "127.0.0.1:\(port)"],
                                          logPath: cli.directory.appendingPathComponent("serve.log").path)
        defer { serve.stop() }
        #expect(try await Patience.wait { try await curl(["\(base)/healthz"]).contains("ok") })
        var poll: BackgroundProcess?
        if signal == SIGTERM {
            let head = try await curl(["-D", "-", "-o", "/dev/null", "\(base)/v1/clusters/_/nginx.conf"])
            let etag = try #require(head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }?.dropFirst(5)
                .trimmingCharacters(in: .whitespaces))
            poll = try BackgroundProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)",
                                                           "\(base)/v1/clusters/_/nginx.conf?wait=3600s"],
                                         logPath: cli.directory.appendingPathComponent("poll.log").path)
            #expect(try await Patience.wait { try await curl(["\(base)/metrics"]).contains("routeledger_watchers 1.0") })
        }
        let sent = ContinuousClock.now
        kill(serve.pid, signal)
        #expect(await Patience.wait { !serve.isRunning }, "serve stopped")
        print("serve stopped \(ContinuousClock.now - sent) after signal \(signal)")
        #expect(serve.exitStatus == 0, "\(serve.output)")
        #expect(!serve.output.contains("Error"), "\(serve.output)")
        if let poll {
            #expect(await Patience.wait { !poll.isRunning }, "the long-poll was answered")
            #expect(poll.output == "304")
        }
    }

    @Test("a second serve on a port in use says so in one plain sentence, exit 1; the first serves on")
    func addressInUse() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["init"]).status == 0)
        let port = try freeLoopbackPort()
        let first = try BackgroundProcess(CLI.executable.path, ["serve", "--db", cli.database, "--listen", "127.0.0.1:\(port)"],
                                          logPath: cli.directory.appendingPathComponent("serve.log").path)
        defer { first.stop() }
        #expect(try await Patience.wait { try await curl(["http://127.0.0.1:\(port)/healthz"]).contains("ok") })
        #expect(first.output == "routeledger: note: serving \(cli.database) on http://127.0.0.1:\(port) (read-only); Ctrl-C stops\n",
                "the note comes once the server listens")
        let second = try await cli.run(["serve", "--listen", "127.0.0.1:\(port)"])
        #expect(second.status == 1)
        #expect(second.stderr == "routeledger: cannot listen on 127.0.0.1:\(port): the address is already in use (is another server listening there?)\n")
        #expect(first.isRunning)
    }

    @Test("the agent as an unprivileged user with a real nginx: what nginx cannot do on this host is the host's problem, never proxy.rejected; --nginx-arg reaches nginx; --once returns at once",
          .enabled(if: Nginx.shouldRun))
    func unprivilegedAgent() async throws {
        let nginx = try Nginx.binary()
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl"]).status == 0)
        let token = try cli.write("token", "agent-token-7\n")
        let port = try freeLoopbackPort()
        let serve = try BackgroundProcess(CLI.executable.path, ["serve", "--db", cli.database, "--listen", "127.0.0.1:\(port)", "--token-file", token],
                                          logPath: cli.directory.appendingPathComponent("serve.log").path)
        defer { serve.stop() }
        #expect(try await Patience.wait { try await curl(["http://127.0.0.1:\(port)/healthz"]).contains("ok") })
        // The proxy's own directory, owned by the unprivileged user (nobody, when the tests run as root).
        let prefix = cli.directory.appendingPathComponent("proxy").path
        try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
        let unprivileged: [String] = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] : []
        if getuid() == 0 {
            _ = try await Command.run("/bin/chown", ["-R", "nobody:nogroup", prefix])
            _ = try await Command.run("/bin/chmod", ["a+rx", cli.directory.path])
            _ = try await Command.run("/bin/chmod", ["a+r", token])
        }
        // Started from a directory its user may not enter (root's, as a CI checkout is): nginx must still run.
        let locked = cli.directory.appendingPathComponent("locked/inner").path
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        chmod(cli.directory.appendingPathComponent("locked").path, 0o700)
        func agent(_ extra: [String], as user: [String]) async throws -> (status: Int32, output: String) {
            let arguments = user + [CLI.executable.path, "agent", "--once", "--server", "http://127.0.0.1:\(port)", "--nginx-conf", prefix + "/nginx.conf",
                                    "--nginx-bin", nginx, "--token-file", token, "--proxy-id", "edge-1", "--reload-cmd", "true"] + extra
            return try await Command.run(arguments[0], Array(arguments.dropFirst()), timeout: Patience.seconds, in: locked)
        }
        func reported(_ type: String) async throws -> [[String: Any]] {
            try json(try await cli.run(["events", "--type", type, "--json"]).stdout) as! [[String: Any]]
        }
        // nginx's default pid file is the root's: nginx -t cannot run. That is the host's problem.
        let blocked = try await agent([], as: unprivileged)
        #expect(blocked.status == 1)
        #expect(blocked.output.contains("nginx could not check") && blocked.output.contains("a problem of this host and not of the configuration"), "\(blocked.output)")
        #expect(blocked.output.contains("nginx.pid") && blocked.output.contains("reported as proxy.failed"), "\(blocked.output)")
        #expect(try await reported("proxy.rejected").isEmpty, "a problem of the host is never the configuration's")
        let failed = try await reported("proxy.failed")
        #expect(failed.count == 1 && ((failed.first?["data"] as? [String: Any])?["error"] as? String)?.contains("nginx.pid") == true,
                "reported as the host's failure: \(failed)")
        #expect(try await agent([], as: unprivileged).status == 1)
        #expect(try await reported("proxy.failed").count == 1, "the same failure of the same version is recorded once")
        // Its own prefix, error log and pid file reach nginx: the pid error is gone; what is left is the
        // compiled-in access log, the root's too: still the host's problem, still not reported.
        let paths = ["--nginx-arg", "-p", "--nginx-arg", prefix + "/", "--nginx-arg", "-e", "--nginx-arg", prefix + "/error.log",
                     "--nginx-arg", "-g", "--nginx-arg", "pid \(prefix)/nginx.pid;"]
        let withPaths = try await agent(paths, as: unprivileged)
        #expect(withPaths.status == 1 && !withPaths.output.contains("/run/nginx.pid") && withPaths.output.contains("nginx -t"), "\(withPaths.output)")
        #expect(try await reported("proxy.rejected").isEmpty)
        #expect(try await reported("proxy.failed").count == 2, "another failure: recorded too")
        // With its own access log and an unprivileged port too, the unprivileged nginx checks the
        // configuration: applied, and recorded once.
        let own = paths + ["--access-log", prefix + "/access.log", "--port", String(try freeLoopbackPort()), "--address", "127.0.0.1"]
        let applied = try await agent(own, as: unprivileged)
        #expect(applied.status == 0 && applied.output.contains("applied "), "\(applied.output)")
        #expect((try? String(contentsOfFile: prefix + "/nginx.conf", encoding: .utf8))?.contains("access_log \(prefix)/access.log;") == true)
        let started = ContinuousClock.now
        let again = try await agent(own, as: unprivileged)
        #expect(again.status == 0 && again.output.contains("unchanged "), "\(again.output)")
        print("agent --once when up to date took \(ContinuousClock.now - started)")
        let recorded = try json(try await cli.run(["events", "--type", "proxy.applied", "--json"]).stdout) as! [[String: Any]]
        #expect(recorded.count == 1)
        #expect(try await agent(["--access-log", "/tmp/x; evil"], as: unprivileged).status == 2, "a path that would break the directive is refused")
    }
}
