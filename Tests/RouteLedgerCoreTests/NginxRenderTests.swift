import Foundation
import Testing
import TestSupport
@testable import RouteLedgerCore

/// A routing case of DESIGN section 3 and the nginx configuration it must render to.
struct RenderCase: Sendable, CustomTestStringConvertible {
    /// The golden file's name, `Golden/nginx/<name>.conf`.
    let name: String
    let events: [ClusterEvent]
    let cluster: String

    init(_ name: String, cluster: String = "", _ events: [ClusterEvent]) {
        self.name = name
        self.cluster = cluster
        self.events = Fixture.networks + events
    }

    var testDescription: String { name }

    var view: ProxyView { ProxyView(cluster: cluster, projection: Fixture.project(events)) }

    var rendered: String { NginxConfig.render(view, version: view.version) }
}

let renderCases: [RenderCase] = [
    RenderCase("task-mode", [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "8080"]))] + F.running(3, of: "web", subnet: 1)),
    RenderCase("vip-mode", [.serviceCreated(F.service("api", ["hosts": "api.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 4))]
                           + F.running(4, of: "api", subnet: 2)),
    // The seed: the VIP lives from the service's creation to its deletion, so scaling to zero keeps it.
    RenderCase("vip-mode-scaled-to-zero", [.serviceCreated(F.service("api", ["hosts": "api.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 1))]
                                          + F.running(1, of: "api", subnet: 2)
                                          + [.serviceUpdated(F.service("api", ["hosts": "api.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 0)),
                                             .taskUpdated(F.task("api-1", of: "api", .shutdown, desired: .shutdown, ip: "10.0.2.1")),
                                             .taskRemoved("api-1")]),
    RenderCase("canary-task", [.serviceCreated(F.service("shop", ["hosts": "shop.local", "port": "8080"])),
                               .serviceCreated(F.service("shop-canary", ["hosts": "shop.local", "port": "8080"]))]
                              + F.running(4, of: "shop", subnet: 3) + F.running(1, of: "shop-canary", subnet: 4)),
    RenderCase("canary-vip", [.serviceCreated(F.service("pay", ["hosts": "pay.local", "port": "80", "backend_mode": "vip"], vip: "10.0.5.2")),
                              .serviceCreated(F.service("pay-canary", ["hosts": "pay.local", "port": "80", "backend_mode": "vip"], vip: "10.0.5.3"))]
                             + F.running(2, of: "pay", subnet: 5) + F.running(1, of: "pay-canary", subnet: 6)),
    RenderCase("sticky-cookie", [.serviceCreated(F.service("app", ["hosts": "app.local", "port": "80", "sticky_session_cookie": "session"]))]
                                + F.running(2, of: "app", subnet: 1)),
    RenderCase("ip-hash", [.serviceCreated(F.service("app", ["hosts": "app.local", "port": "80", "ip_hash": "true"]))]
                          + F.running(2, of: "app", subnet: 1)),
    RenderCase("context-root", [.serviceCreated(F.service("site", ["hosts": "example.local", "port": "80"])),
                                .serviceCreated(F.service("docs", ["hosts": "example.local", "port": "8000", "context_root": "/docs/v1.2",
                                                                   "context_root_rewrite": "true"]))]
                               + F.running(1, of: "site", subnet: 1) + F.running(1, of: "docs", subnet: 2)),
    RenderCase("context-root-only", [.serviceCreated(F.service("docs", ["hosts": "example.local", "port": "8000", "context_root": "/docs"]))]
                                    + F.running(1, of: "docs", subnet: 2)),
    RenderCase("redirects", [.serviceCreated(F.service("new", ["hosts": "old.local,new.local", "port": "80",
                                                               "redirects": "http://old.local,http://new.local;legacy.local,https://new.local/"]))]
                            + F.running(1, of: "new", subnet: 1)),
    RenderCase("websocket", [.serviceCreated(F.service("chat", ["hosts": "chat.local", "port": "80", "websocket_endpoints": "/ws,/events"]))]
                            + F.running(2, of: "chat", subnet: 1)),
    RenderCase("default-backend", [.serviceCreated(F.service("fallback", ["default_backend": "true", "port": "8080"])),
                                   .serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
                                  + F.running(1, of: "fallback", subnet: 1) + F.running(1, of: "web", subnet: 2)),
    RenderCase("nothing-routed", [.serviceCreated(F.service("db", [:]))] + F.running(1, of: "db", subnet: 1)),
    RenderCase("upstream-options", [.serviceCreated(F.service("web", ["hosts": "web.local,*.web.local", "port": "80",
                                                                      "max_fails": "3", "fail_timeout": "10s"]))]
                                   + F.running(2, of: "web", subnet: 1)),
    RenderCase("service-cluster", cluster: "edge",
               [.serviceCreated(F.service("inside", ["hosts": "inside.local", "port": "80"])),
                .serviceCreated(F.service("outside", ["hosts": "outside.local", "port": "80", "service_cluster": "edge"]))]
               + F.running(1, of: "inside", subnet: 1) + F.running(1, of: "outside", subnet: 2)),
    RenderCase("frontend-without-upstreams", [.serviceCreated(F.service("up", ["hosts": "up.local", "port": "80"])),
                                              .serviceCreated(F.service("down", ["hosts": "down.local", "port": "80"]))]
                                             + F.running(1, of: "up", subnet: 1)
                                             + [.taskUpdated(F.task("down-1", of: "down", .shutdown, desired: .shutdown, ip: "10.0.2.1"))]),
    // TLS (issue 13): a terminated host next to a plain one.
    RenderCase("tls-terminated", [.serviceCreated(F.service("shop", ["hosts": "shop.local", "port": "8080", "ssl_cert": "shop-2026", "ssl_key": "shop-2026-key"])),
                                  .serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
                                 + F.running(2, of: "shop", subnet: 1) + F.running(1, of: "web", subnet: 2)),
    // ssl_only redirects plain HTTP; ssl_backend talks HTTPS to the upstreams, verified or not.
    RenderCase("tls-only-backend", [.serviceCreated(F.service("shop", ["hosts": "shop.local", "port": "8443", "ssl_cert": "shop-2026", "ssl_key": "shop-2026-key",
                                                                       "ssl_only": "true", "ssl_backend": "true", "ssl_backend_tls_verify": "required"])),
                                    .serviceCreated(F.service("api", ["hosts": "api.local", "port": "8443", "ssl_backend": "true", "websocket_endpoints": "/ws"]))]
                                   + F.running(1, of: "shop", subnet: 1) + F.running(2, of: "api", subnet: 2)),
    // Passthrough hosts share the TLS port with a terminated one through a stream block that reads the SNI.
    RenderCase("tls-passthrough", [.serviceCreated(F.service("vault", ["hosts": "vault.local", "port": "8200", "ssl_passthrough": "true", "ssl_only": "true",
                                                                       "backend_mode": "vip"], vip: "10.0.3.100")),
                                   .serviceCreated(F.service("db", ["hosts": "db.local", "port": "5433", "ssl_passthrough": "true", "ip_hash": "true"])),
                                   .serviceCreated(F.service("shop", ["hosts": "shop.local", "port": "8080", "ssl_cert": "shop-2026", "ssl_key": "shop-2026-key"])),
                                   .serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
                                  + F.running(2, of: "vault", subnet: 3) + F.running(2, of: "db", subnet: 4)
                                  + F.running(1, of: "shop", subnet: 1) + F.running(1, of: "web", subnet: 2)),
]

@Suite("nginx rendering")
struct NginxRenderTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/nginx")

    /// `UPDATE_GOLDEN=1 swift test --filter NginxRenderTests` rewrites the files; review their diff.
    @Test("renders the golden configuration", arguments: renderCases)
    func golden(_ scenario: RenderCase) throws {
        let file = Self.goldenDirectory.appendingPathComponent(scenario.name + ".conf")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try scenario.rendered.write(to: file, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(scenario.rendered == golden)
    }

    /// The secrets the TLS cases name, as files: a CA made here signed each certificate. Made once per run.
    static let secrets = Task { () async throws -> (directory: String, ca: String) in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("routeledger-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ca = try await TestCA(in: directory)
        let shop = try await ca.issue("shop", for: ["shop.local"])
        try FileManager.default.copyItem(atPath: shop.certificate, toPath: directory + "/shop-2026")
        try FileManager.default.copyItem(atPath: shop.key, toPath: directory + "/shop-2026-key")
        return (directory, ca.certificate)
    }

    @Test("every golden configuration passes nginx -t, with the secrets and CA it names made at test time",
          .enabled(if: Nginx.shouldRun), arguments: renderCases)
    func nginxAccepts(_ scenario: RenderCase) async throws {
        var golden = try String(contentsOf: Self.goldenDirectory.appendingPathComponent(scenario.name + ".conf"), encoding: .utf8)
        if golden.contains("ssl_") {
            // The same text, its files moved: the secrets and the backend CA live where this test made them.
            let secrets = try await Self.secrets.value
            golden = golden.replacingOccurrences(of: "/run/secrets/", with: secrets.directory + "/")
                .replacingOccurrences(of: "/etc/ssl/certs/ca-certificates.crt", with: secrets.ca)
        }
        let result = try await Nginx.test(config: golden)
        #expect(result.ok, "nginx -t refused \(scenario.name).conf:\n\(result.output)")
    }

    @Test("nginx -t refuses a broken configuration, so the check above can fail", .enabled(if: Nginx.shouldRun))
    func nginxRefuses() async throws {
        let broken = renderCases[0].rendered.replacingOccurrences(of: "server 10.0.1.1:8080;", with: "server 10.0.1.1:8080")
        #expect(try await Nginx.test(config: broken).ok == false)
    }

    @Test("the same view always renders the same text, and the text names its version")
    func deterministic() {
        let scenario = renderCases[2]
        #expect(scenario.rendered == scenario.rendered)
        #expect(scenario.rendered.contains("# config version: \(scenario.view.version.hex)\n"))
    }

    @Test("a frontend without upstreams is left out; a host nobody claims gets 503 without a default backend")
    func leftOut() {
        let text = renderCases.first { $0.name == "frontend-without-upstreams" }!.rendered
        #expect(text.contains("server_name up.local;"))
        #expect(!text.contains("down.local"))
        #expect(text.contains("return 503;"))
    }

    @Test("a host served only under a context root answers 404 elsewhere, not nginx's default pages")
    func contextRootOnly() {
        let text = renderCases.first { $0.name == "context-root-only" }!.rendered
        #expect(text.contains("        location / {\n            return 404;\n        }\n        location /docs {"))
    }

    @Test("a vip-mode service scaled to zero keeps its VIP: the same configuration as with its task running")
    func vipScaledToZero() {
        let zero = renderCases.first { $0.name == "vip-mode-scaled-to-zero" }!
        #expect(zero.rendered.contains("server 10.0.2.9:8080;"))
        let running = ProxyView(cluster: "", projection: Fixture.project(Array(zero.events.dropLast(3))))
        #expect(zero.view.version == running.version)
    }

    @Test("a canary shares one upstream block: 4 + 1 task servers, equal weights")
    func canaryUpstream() {
        let text = renderCases.first { $0.name == "canary-task" }!.rendered
        let servers = text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("server 10.0.") }
        #expect(servers.count == 5)
        #expect(!text.contains("weight="))
    }
}

@Suite("stable nginx configurations")
struct StableConfigTests {
    @Test("a frontend's upstream name comes from the frontend: adding another host renames none; servers go in numeric order")
    func stableNames() {
        let web: [ClusterEvent] = [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"])),
                                   .taskUpdated(F.task("t1", of: "web", ip: "10.0.1.238")), .taskUpdated(F.task("t2", of: "web", ip: "10.0.1.51"))]
        let before = NginxConfig.render(ProxyView(cluster: "", projection: F.project(Fixture.networks + web)), version: ConfigVersion(hex: "0"))
        let more = web + [.serviceCreated(F.service("api", ["hosts": "api.local", "port": "80", "context_root": "/v1/*x"])),
                          .taskUpdated(F.task("t3", of: "api", ip: "10.0.1.9"))]
        let after = NginxConfig.render(ProxyView(cluster: "", projection: F.project(Fixture.networks + more)), version: ConfigVersion(hex: "0"))
        for config in [before, after] {
            #expect(config.contains("upstream fe-web.local {\n        server 10.0.1.51:80;\n        server 10.0.1.238:80;\n    }"), "\(config)")
            #expect(config.contains("proxy_pass http://fe-web.local;"))
        }
        #expect(!before.contains("fe-api"))
        #expect(after.contains("upstream fe-api.local-v1_anyx {"), "the context root, sanitized (/ to _, * to any): \(after)")
    }
}

@Suite("labels nginx cannot carry")
struct UnsafeLabelTests {
    @Test("values that would break or inject into nginx configuration are invalid labels", arguments: [
        ("context_root", "/a$b"), ("context_root", "/a#b"), ("context_root", "/a\"b"), ("websocket_endpoints", "/ws;x"),
        ("redirects", "http://a.local,http://b.local/$uri"), ("redirects", "/path,http://b.local"), ("hosts", "a*b.local"),
        ("hosts", "*"), ("hosts", "a..local"), ("service_cluster", "_"),
    ])
    func refused(label: String, value: String) {
        var labels = ["hosts": "web.local", "port": "80"]
        labels[label] = value
        guard case .invalid(let errors, _) = LabelParser.parse(F.service("web", labels).labels, service: "web") else {
            Issue.record("\(label)=\(value) was accepted")
            return
        }
        #expect(errors.contains { $0.label == LabelParser.prefix + label })
    }

    @Test("wildcards nginx accepts are valid hosts", arguments: ["*.example.local", "www.example.*", "_"])
    func wildcards(host: String) {
        guard case .published(let routing, _) = LabelParser.parse(F.service("web", ["hosts": host, "port": "80"]).labels, service: "web") else {
            Issue.record("\(host) was refused")
            return
        }
        #expect(routing.hosts == [host])
    }
}

@Suite("nginx rendering of TLS settings")
struct NginxTLSRenderTests {
    static let passthrough = renderCases.first { $0.name == "tls-passthrough" }!
    static let terminated = renderCases.first { $0.name == "tls-terminated" }!

    @Test("the stream module is loaded only for a stream block, from --stream-module; none when nginx has it built in")
    func streamModule() {
        let view = Self.passthrough.view
        #expect(NginxConfig.render(view, version: view.version).contains("load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"))
        #expect(NginxConfig.render(view, version: view.version, settings: NginxSettings(streamModule: "/opt/nginx/stream.so")).contains("load_module /opt/nginx/stream.so;\n"))
        #expect(!NginxConfig.render(view, version: view.version, settings: NginxSettings(streamModule: nil)).contains("load_module"))
        let plain = Self.terminated.view
        #expect(!Self.terminated.rendered.contains("load_module") && !Self.terminated.rendered.contains("stream {"))
        #expect(NginxConfig.render(plain, version: plain.version).contains("ssl_reject_handshake on;"))
    }

    @Test("ports, secrets directory and backend CA come from the settings; ssl_only redirects to the TLS port")
    func settings() {
        let only = renderCases.first { $0.name == "tls-only-backend" }!.view
        let text = NginxConfig.render(only, version: only.version, settings: NginxSettings(listenPort: 8080, listenAddress: "127.0.0.1", tlsPort: 8443,
                                                                                      secretsDirectory: "/srv/secrets", backendCA: "/srv/ca.pem"))
        for line in ["listen 127.0.0.1:8443 ssl;", "ssl_certificate /srv/secrets/shop-2026;", "ssl_certificate_key /srv/secrets/shop-2026-key;",
                     "return 301 https://$host:8443$request_uri;", "proxy_ssl_trusted_certificate /srv/ca.pem;"] {
            #expect(text.contains("        \(line)\n") || text.contains("            \(line)\n"), "missing \(line)")
        }
        let shared = Self.passthrough.view
        let stream = NginxConfig.render(shared, version: shared.version, settings: NginxSettings(listenAddress: "127.0.0.1", tlsPort: 9443, terminationPort: 9444))
        #expect(stream.contains("        listen 127.0.0.1:9443;\n        ssl_preread on;\n"))
        #expect(stream.contains("        listen 127.0.0.1:9444 ssl;\n"))
        #expect(stream.contains("        server 127.0.0.1:9444;\n"))
    }
}
