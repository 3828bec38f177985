import Foundation
import Testing
import TestSupport

/// A secured feed (issue 12, point 6): `serve` over HTTPS with a certificate made at test time, reads that
/// need a token, and an agent that trusts the server's CA.
@Suite("a secured feed: HTTPS and read tokens")
struct SecuredFeedCLITests {
    /// A CA and a server certificate for 127.0.0.1 that it signed, made with openssl in `directory`.
    static func certificates(in directory: URL) async throws -> (ca: String, certificate: String, key: String) {
        let ca = try await TestCA(in: directory.path)
        let server = try await ca.issue("server", for: ["127.0.0.1"])
        return (ca.certificate, server.certificate, server.key)
    }

    @Test("HTTPS with a CA made here: a client without the CA is refused; reads need the read (or write) token, a wrong one gets 401; the agent with --ca-file applies; no token in the log")
    func securedFeed() async throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try await cli.run(["append", "data/02-vip-demo.jsonl"]).status == 0)
        let tls = try await Self.certificates(in: cli.directory)
        let write = try cli.write("token", "write-secret-4711\n"), read = try cli.write("read-token", "read-secret-0815\n")
        chmod(write, 0o600)
        chmod(read, 0o600)
        let port = try freeLoopbackPort()
        let base = "https://127.0.0.1:\(port)"
        let serve = try BackgroundProcess(CLI.executable.path, ["serve", "--db", cli.database, "--listen", "127.0.0.1:\(port)", "--token-file", write,
                                                                "--read-token-file", read, "--tls-cert", tls.certificate, "--tls-key", tls.key,
                                                                "--log-level", "debug"],
                                          logPath: cli.directory.appendingPathComponent("serve.log").path)
        defer { serve.stop() }
        #expect(try await Patience.wait { try await curlRun(["--cacert", tls.ca, "\(base)/healthz"]).output == "ok\n" }, "\(serve.output)")
        #expect(serve.output.contains("on https://127.0.0.1:\(port)"))

        // Without the CA, curl refuses the server's certificate (exit 60).
        #expect(try await curlRun(["\(base)/healthz"]).status == 60)
        func status(_ path: String, token: String?, method: String = "GET") async throws -> String {
            try await curlRun(["--cacert", tls.ca, "-o", "/dev/null", "-w", "%{http_code}", "-X", method]
                                + (token.map { ["-H", "Authorization: Bearer \($0)"] } ?? []) + ["\(base)\(path)"]).output
        }
        #expect(try await status("/readyz", token: nil) == "200", "health checks need no token")
        for path in ["/v1/routes", "/v1/reloads", "/v1/events", "/v1/clusters/_/nginx.conf", "/metrics"] {
            #expect(try await status(path, token: nil) == "401", "\(path) without a token")
            #expect(try await status(path, token: "read-secret-0816") == "401", "\(path) with a wrong token")
            #expect(try await status(path, token: "read-secret-0815") == "200", "\(path) with the read token")
            #expect(try await status(path, token: "write-secret-4711") == "200", "\(path) with the write token")
        }
        #expect(try await status("/v1/events", token: "read-secret-0815", method: "POST") == "401", "the read token does not write")

        // The agent trusts the server's CA with --ca-file; its token reads and reports.
        let nginx = try cli.write("nginx-stand-in", "#!/bin/sh\nexit 0\n")
        chmod(nginx, 0o755)
        func agent(_ extra: [String]) async throws -> (status: Int32, output: String) {
            let arguments = ["agent", "--once", "--server", base, "--nginx-conf", cli.directory.appendingPathComponent("nginx.conf").path,
                             "--nginx-bin", nginx, "--reload-cmd", "true", "--token-file", write, "--proxy-id", "tls-1"] + extra
            return try await Command.run(CLI.executable.path, arguments, timeout: Patience.seconds)
        }
        let untrusted = try await agent([])
        #expect(untrusted.status == 1 && untrusted.output.contains("cannot reach \(base)"), "\(untrusted.output)")
        let wrong = try cli.write("wrong-token", "not-the-token\n")
        chmod(wrong, 0o600)
        let refused = try await agent(["--ca-file", tls.ca, "--token-file", wrong])
        #expect(refused.status == 1 && refused.output.contains("\(base) answered HTTP 401"), "\(refused.output)")
        let trusted = try await agent(["--ca-file", tls.ca])
        #expect(trusted.status == 0 && trusted.output.hasPrefix("applied "), "\(trusted.output)")
        let reports = try json(try await cli.run(["events", "--type", "proxy.applied", "--json"]).stdout) as! [[String: Any]]
        #expect(reports.count == 1)
        #expect(!serve.output.contains("secret"), "no token in serve's log: \(serve.output)")
    }
}
