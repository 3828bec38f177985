import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Testing
import TestSupport

/// A backend that answers every request with its own address, over TLS with `certificate`.
func tlsBackend(_ address: String, port: Int, certificate: (certificate: String, key: String)) throws -> some Service {
    let router = Router()
    router.get("/") { _, _ in address }
    router.get("/**") { _, _ in address }
    let tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificate).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem)))
    return Application(router: router, server: try .tls(.http1(), tlsConfiguration: tls), configuration: .init(address: .hostname(address, port: port)),
                       logger: Logger(label: "e2e.tls-backend", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// One request with curl to `https://host:port/` (or `http://`) resolved to 127.0.0.1, trusting `ca`.
struct TLSClient: Sendable {
    let ca: String

    struct Answer: Sendable {
        /// curl's exit status: 0, or why it failed (35: the TLS handshake, 60: the certificate).
        var status: Int32
        /// The HTTP status (0 when there was no answer).
        var code: Int
        var body: String
        /// The response headers, names lowercased.
        var headers: [String: String]
        /// The subject of the certificate the server presented (`CN = shop.local`), from curl's trace.
        var subject: String?
    }

    /// Runs curl off the cooperative pool: the backends of this process answer on it.
    func get(_ scheme: String, host: String, port: Int, path: String = "/") async throws -> Answer {
        try await getAnswer(scheme, host: host, port: port, path: path)
    }

    /// `count` requests over HTTPS in one curl (one process, connections reused): requests per upstream
    /// address, from nginx's `x-upstream-addr`, or `HTTP n` for an answer without one.
    func spread(host: String, port: Int, count: Int) async throws -> [String: Int] {
        let url = "https://\(host):\(port)/"
        let arguments = ["-sS", "--max-time", "60", "--cacert", ca, "--resolve", "\(host):\(port):127.0.0.1"]
            + Array(repeating: ["-o", "/dev/null", "-w", "%{http_code} %header{x-upstream-addr}\\n", url], count: count).flatMap { $0 }
        let result = try await Command.run("/usr/bin/curl", arguments, timeout: 90)
        var counts: [String: Int] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let address = parts.count == 2 && parts[0] == "200" ? String(parts[1].split(separator: ":")[0]) : "HTTP \(line)"
            counts[address, default: 0] += 1
        }
        return counts
    }

    private func getAnswer(_ scheme: String, host: String, port: Int, path: String) async throws -> Answer {
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)").path
        defer { for suffix in [".body", ".headers", ".trace"] { try? FileManager.default.removeItem(atPath: files + suffix) } }
        let result = try await Command.run("/usr/bin/curl", ["-sS", "-v", "--max-time", "10", "--cacert", ca, "--resolve", "\(host):\(port):127.0.0.1",
                                                       "-o", files + ".body", "-D", files + ".headers", "--stderr", files + ".trace",
                                                       "-w", "%{http_code}", "\(scheme)://\(host):\(port)\(path)"])
        func read(_ suffix: String) -> String { (try? String(contentsOfFile: files + suffix, encoding: .utf8)) ?? "" }
        var headers: [String: String] = [:]
        for line in read(".headers").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("HTTP/") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let subject = read(".trace").split(separator: "\n").first { $0.hasPrefix("*  subject: ") }.map { String($0.dropFirst("*  subject: ".count)) }
        return Answer(status: result.status, code: Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, body: read(".body"),
                      headers: headers, subject: subject)
    }
}

@Suite("end to end: TLS through serve, agent and real nginx", .serialized)
struct TLSEndToEndTests {
    @Test("TLS the Interlock way through nginx: SNI picks the certificate, ssl_only redirects, ssl_backend verifies, passthrough hands over the backend's certificate, the canary keeps its share",
          .enabled(if: Nginx.shouldRun), .timeLimit(.minutes(4)))
    func tlsThroughNginx() async throws {
        let directory = try TemporaryDirectory("routeledger-e2e-tls")
        let stack = Stack(directory: directory, serverPort: try freeLoopbackPort(), nginxPort: try freeLoopbackPort(),
                          backendPort: try freeLoopbackPort(), database: directory.path("e2e.db"))
        let tlsPort = try freeLoopbackPort(), terminationPort = try freeLoopbackPort()
        var script = ClusterScript(backendPort: stack.backendPort)

        // Secrets as a Swarm proxy would see them: files named after the secrets, made by a CA of this test.
        let secrets = directory.path("secrets")
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        let ca = try await TestCA(in: directory.url.path)
        for (secret, host) in [("shop-2026", "shop.local"), ("docs-2026", "docs.local")] {
            let made = try await ca.issue(secret, for: [host], commonName: "\(host) (proxy)")
            try FileManager.default.copyItem(atPath: made.certificate, toPath: secrets + "/" + secret)
            try FileManager.default.copyItem(atPath: made.key, toPath: secrets + "/" + secret + "-key")
        }
        // Backends that speak TLS: one the CA signed, one with a certificate of another CA, and the passthrough one.
        let secureCertificate = try await ca.issue("secure-backend", for: ["secure.local"])
        let stranger = try await TestCA(in: directory.url.path, name: "Another CA", file: "other-ca")
        let rogueCertificate = try await stranger.issue("rogue-backend", for: ["rogue.local"])
        let vaultCertificate = try await ca.issue("vault-backend", for: ["vault.local"], commonName: "vault.local (backend 127.0.5.1)")

        let plain = ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5", "127.0.8.1"]
        var services: [any Service] = plain.map { backend($0, port: stack.backendPort) }
        services.append(try tlsBackend("127.0.6.1", port: stack.backendPort, certificate: secureCertificate))
        services.append(try tlsBackend("127.0.7.1", port: stack.backendPort, certificate: rogueCertificate))
        services.append(try tlsBackend("127.0.5.1", port: stack.backendPort, certificate: vaultCertificate))
        let backends = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() }))
        let backendRun = Task { try await backends.run() }
        var running: ProxyStack?
        defer {
            running?.stop()
            if ProcessInfo.processInfo.environment["KEEP_E2E"] == "1" { print("e2e directory: \(directory.url.path)") } else { directory.remove() }
        }
        do {
            let proxy = try await ProxyStack.start(stack, network: script.network(), backends: plain + ["127.0.6.1", "127.0.7.1", "127.0.5.1"], nginxOptions: [
                "--tls-port", String(tlsPort), "--termination-port", String(terminationPort), "--secrets-dir", secrets, "--backend-ca", ca.certificate,
            ])
            running = proxy
            let shopTLS = ["hosts": "shop.local", "ssl_cert": "shop-2026", "ssl_key": "shop-2026-key"]
            try await proxy.drive([
                script.service("shop", shopTLS),
                script.task("shop-1", of: "shop", ip: "127.0.1.1"), script.task("shop-2", of: "shop", ip: "127.0.1.2"),
                script.task("shop-3", of: "shop", ip: "127.0.1.3"), script.task("shop-4", of: "shop", ip: "127.0.1.4"),
                script.service("shop-canary", shopTLS),
                script.task("shopc-1", of: "shop-canary", ip: "127.0.1.5"),
                script.service("docs", ["hosts": "docs.local", "ssl_cert": "docs-2026", "ssl_key": "docs-2026-key", "ssl_only": "true"]),
                script.task("docs-1", of: "docs", ip: "127.0.8.1"),
                script.service("secure", ["hosts": "secure.local", "ssl_backend": "true", "ssl_backend_tls_verify": "required"]),
                script.task("secure-1", of: "secure", ip: "127.0.6.1"),
                script.service("rogue", ["hosts": "rogue.local", "ssl_backend": "true", "ssl_backend_tls_verify": "required"]),
                script.task("rogue-1", of: "rogue", ip: "127.0.7.1"),
                script.service("vault", ["hosts": "vault.local", "ssl_passthrough": "true", "backend_mode": "vip"], vip: "127.0.5.1"),
                script.task("vault-1", of: "vault", ip: "127.0.9.1"),
            ])
            let client = TLSClient(ca: ca.certificate)

            // SNI selects the certificate: each host gets its own (curl checks it names the host, and the CA).
            let shop = try await client.get("https", host: "shop.local", port: tlsPort)
            #expect(shop.status == 0 && shop.code == 200, "https://shop.local: curl \(shop.status), HTTP \(shop.code)")
            #expect(shop.subject == "CN=shop.local (proxy)", "\(shop.subject ?? "no subject")")
            #expect(shop.headers["x-server-info"]?.contains("routeledger") == true, "nginx terminated it: \(shop.headers)")
            let docs = try await client.get("https", host: "docs.local", port: tlsPort, path: "/guide?page=2")
            #expect(docs.status == 0 && docs.code == 200 && docs.body == "127.0.8.1", "https://docs.local: curl \(docs.status), HTTP \(docs.code) \(docs.body)")
            #expect(docs.subject == "CN=docs.local (proxy)", "\(docs.subject ?? "no subject")")

            // ssl_only: plain HTTP answers 301 to the same URL over HTTPS; a host without it still serves HTTP.
            let redirect = try await client.get("http", host: "docs.local", port: stack.nginxPort, path: "/guide?page=2")
            #expect(redirect.code == 301 && redirect.headers["location"] == "https://docs.local:\(tlsPort)/guide?page=2", "\(redirect.code) \(redirect.headers)")
            #expect(try await client.get("http", host: "shop.local", port: stack.nginxPort).code == 200)

            // ssl_backend with verify=required: a backend whose certificate the CA signed answers; another CA's is refused (502).
            let secure = try await client.get("http", host: "secure.local", port: stack.nginxPort)
            #expect(secure.code == 200 && secure.body == "127.0.6.1", "secure.local over an HTTPS upstream: \(secure.code) \(secure.body)")
            let rogue = try await client.get("http", host: "rogue.local", port: stack.nginxPort)
            #expect(rogue.code == 502, "rogue.local's upstream certificate is not the CA's: \(rogue.code) \(rogue.body)")

            // Passthrough: the client gets the backend's own certificate, and the backend's answer without the proxy's headers.
            let vault = try await client.get("https", host: "vault.local", port: tlsPort)
            #expect(vault.status == 0 && vault.code == 200 && vault.body == "127.0.5.1", "https://vault.local: curl \(vault.status), HTTP \(vault.code) \(vault.body)")
            #expect(vault.subject == "CN=vault.local (backend 127.0.5.1)", "\(vault.subject ?? "no subject")")
            #expect(vault.headers["x-server-info"] == nil, "nginx did not terminate it: \(vault.headers)")

            // A server name nobody claims gets no TLS at all.
            let unknown = try await client.get("https", host: "unknown.local", port: tlsPort)
            #expect(unknown.status != 0 && unknown.code == 0, "unknown.local over TLS: curl \(unknown.status), HTTP \(unknown.code)")

            // The task-mode canary keeps its 1/5 over TLS: 500 requests, ±6 points (nginx's round robin is close to
            // exact; for independent random choices sd would be 1.8 points).
            let spread = try await client.spread(host: "shop.local", port: tlsPort, count: 500)
            let canary = Double(spread["127.0.1.5"] ?? 0) / 500
            #expect(abs(canary - 0.2) <= 0.06, "canary share over TLS \(canary): \(spread)")
            #expect(Set(spread.keys) == ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5"])
            print("e2e tls: canary \(spread["127.0.1.5"] ?? 0)/500 over TLS (\(spread))")

            // A certificate renewed under a new secret is a reload that `why` explains, and nginx serves it.
            let renewed = try await ca.issue("shop-2027", for: ["shop.local"], commonName: "shop.local (proxy, 2027)")
            try FileManager.default.copyItem(atPath: renewed.certificate, toPath: secrets + "/shop-2027")
            try FileManager.default.copyItem(atPath: renewed.key, toPath: secrets + "/shop-2027-key")
            let renewedTLS = ["hosts": "shop.local", "ssl_cert": "shop-2027", "ssl_key": "shop-2027-key"]
            try await proxy.drive([script.service("shop", renewedTLS, version: 2), script.service("shop-canary", renewedTLS, version: 2)])
            #expect(try await client.get("https", host: "shop.local", port: tlsPort).subject == "CN=shop.local (proxy, 2027)")
            let last = try #require(try proxy.log.reloads().last)
            let database = stack.database
            let why = try await Command.run(Executables.url("routeledger").path, ["why", "--db", database, String(last.id)])
            #expect(why.output.contains("shop.local: TLS certificate shop-2026 → shop-2027"), "why:\n\(why.output)")

            // Every reload was applied.
            for reload in try proxy.log.reloads() {
                #expect(try proxy.log.proxyReports(for: reload).contains { $0.applied && $0.report.proxy == "e2e-proxy" }, "reload \(reload.id) has no proxy.applied")
            }
        } catch {
            Issue.record("\(error)\n\(running?.postMortem ?? "")")
        }
        await backends.triggerGracefulShutdown()
        _ = await backendRun.result
    }
}
