import Foundation
import Testing
import TestSupport

/// The daemons as an init system runs them: SIGTERM or SIGINT stops them at once, exit 0.
@Suite("routeledger daemons and signals")
struct DaemonCLITests {
    /// `curl` with a bound on its own run; returns what it printed.
    static func curl(_ arguments: [String]) async throws -> String {
        try await offPool { try Command.run("/usr/bin/curl", ["-s"] + arguments, timeout: Patience.seconds).output }
    }

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
        #expect(try await Patience.wait { try await Self.curl(["\(base)/healthz"]).contains("ok") })
        var poll: BackgroundProcess?
        if signal == SIGTERM {
            let head = try await Self.curl(["-D", "-", "-o", "/dev/null", "\(base)/v1/clusters/_/nginx.conf"])
            let etag = try #require(head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }?.dropFirst(5)
                .trimmingCharacters(in: .whitespaces))
            poll = try BackgroundProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)",
                                                           "\(base)/v1/clusters/_/nginx.conf?wait=3600s"],
                                         logPath: cli.directory.appendingPathComponent("poll.log").path)
            #expect(try await Patience.wait { try await Self.curl(["\(base)/metrics"]).contains("routeledger_watchers 1.0") })
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
        #expect(try await Patience.wait { try await Self.curl(["http://127.0.0.1:\(port)/healthz"]).contains("ok") })
        #expect(first.output == "routeledger: note: serving \(cli.database) on http://127.0.0.1:\(port) (read-only); Ctrl-C stops\n",
                "the note comes once the server listens")
        let second = try await cli.run(["serve", "--listen", "127.0.0.1:\(port)"])
        #expect(second.status == 1)
        #expect(second.stderr == "routeledger: cannot listen on 127.0.0.1:\(port): the address is already in use (is another server listening there?)\n")
        #expect(first.isRunning)
    }
}
