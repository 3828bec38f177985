import Testing
@testable import RouteLedgerCore
import RouteLedgerJSON

/// Interlock's TLS labels: what each asks of a frontend, what cannot apply, and what a shared host takes.
@Suite("TLS labels (ssl_*)")
struct TLSRoutingTests {
    static let shop = ["hosts": "shop.local", "port": "8443", "ssl_cert": "shop-2026", "ssl_key": "shop-2026-key"]

    /// The view after `events` (incremental), checked against the from-scratch computation.
    func view(_ events: [ClusterEvent]) -> RoutingView {
        let projection = Fixture.project(Fixture.networks + events)
        #expect(projection.view == RoutingView(state: projection.state))
        return projection.view
    }

    func labels(_ lb: [String: String]) -> LabelParse { LabelParser.parse(lb.reduce(into: [:]) { $0[LabelParser.prefix + $1.key] = $1.value }, service: "shop") }

    @Test("ssl_cert and ssl_key name the secrets a frontend terminates TLS with; the frontend carries them")
    func terminated() {
        let view = view([.serviceCreated(F.service("shop", Self.shop))] + F.running(2, of: "shop", subnet: 1))
        #expect(view.frontends.map(\.tls) == [TLSSettings(certificate: "shop-2026", key: "shop-2026-key")])
        #expect(view.frontends[0].tls?.terminates == true)
        #expect(view.notes == [])
    }

    @Test("a service without TLS labels, or with only their defaults, has no TLS settings")
    func none() {
        let view = view([.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "ssl_only": "false", "ssl_backend_tls_verify": "none"]))]
                        + F.running(1, of: "web", subnet: 1))
        #expect(view.frontends.map(\.tls) == [nil])
        #expect(view.notes == [])
    }

    @Test("Go booleans and the verify mode are read like Interlock's")
    func values() {
        guard case .published(let routing, let warnings) = labels(Self.shop.merging(["ssl_only": "T", "ssl_backend": "1", "ssl_backend_tls_verify": "Required"]) { $1 }) else {
            Issue.record("not published")
            return
        }
        #expect(routing.tls == TLSSettings(certificate: "shop-2026", key: "shop-2026-key", only: true, backend: true, verify: .required))
        #expect(warnings == [])
    }

    @Test("bad values are errors naming the label; a new service is not published", arguments: [
        (["ssl_cert": "shop-2026"], "com.docker.lb.ssl_cert needs com.docker.lb.ssl_key"),
        (["ssl_key": "shop-2026-key"], "com.docker.lb.ssl_key needs com.docker.lb.ssl_cert"),
        (["ssl_cert": "../etc/passwd", "ssl_key": "k"], "ssl_cert \"../etc/passwd\" is not a Docker secret name"),
        (["ssl_cert": "c", "ssl_key": "k;include /x"], "ssl_key \"k;include /x\" is not a Docker secret name"),
        (["ssl_only": "yes"], "ssl_only \"yes\" is not true or false"),
        (["ssl_only": "true"], "ssl_only redirects plain HTTP to HTTPS, but nothing would answer HTTPS"),
        (["ssl_backend": "true", "ssl_backend_tls_verify": "strict"], "ssl_backend_tls_verify \"strict\" is not none or required"),
        (["ssl_passthrough": "maybe"], "ssl_passthrough \"maybe\" is not true or false"),
    ])
    func invalid(lb: [String: String], message: String) {
        let view = view([.serviceCreated(F.service("shop", lb.merging(["hosts": "shop.local", "port": "443"]) { $1 }))] + F.running(1, of: "shop", subnet: 1))
        #expect(view.frontends.isEmpty)
        #expect(view.notes.contains { $0.hasPrefix("error shop ssl_") && $0.contains(message) }, "\(view.notes)")
    }

    @Test("a bad TLS value in an update keeps the last valid routing, certificate included")
    func updateKeepsLastValid() {
        let view = view([.serviceCreated(F.service("shop", Self.shop))] + F.running(1, of: "shop", subnet: 1)
                        + [.serviceUpdated(F.service("shop", Self.shop.merging(["ssl_cert": "shop 2027"]) { $1 }))])
        #expect(view.frontends.map(\.tls?.certificate) == ["shop-2026"])
        #expect(view.notes.contains { $0.contains("ssl_cert \"shop 2027\" is not a Docker secret name") })
    }

    @Test("ssl_passthrough routes by SNI in either mode: HTTP routing labels cannot apply and each is a warning")
    func passthroughWarnings() {
        let lb = ["hosts": "vault.local", "port": "8200", "ssl_passthrough": "true", "backend_mode": "vip", "sticky_session_cookie": "s",
                  "context_root": "/ui", "redirects": "old.local,vault.local", "websocket_endpoints": "/ws", "ssl_cert": "c", "ssl_key": "k",
                  "ssl_backend": "true"]
        let view = view([.serviceCreated(F.service("vault", lb, vip: "10.0.1.100"))] + F.running(1, of: "vault", subnet: 1))
        #expect(view.lines == ["vault.local 10.0.1.100:8200 vault 100%"])
        #expect(view.frontends.map(\.tls) == [TLSSettings(passthrough: true)])
        let frontend = view.frontends[0]
        #expect(frontend.path == "/" && frontend.redirects.isEmpty && frontend.websocketEndpoints.isEmpty && frontend.stickyCookie == nil)
        for label in ["sticky_session_cookie", "context_root", "redirects", "websocket_endpoints"] {
            #expect(view.notes.contains { $0.hasPrefix("warning vault \(label): com.docker.lb.\(label) routes HTTP, which the proxy cannot see in a TLS connection it passes through") },
                    "\(label): \(view.notes)")
        }
        #expect(view.notes.contains { $0.hasPrefix("warning vault ssl_cert: ssl_passthrough hands the TLS connection to the upstreams") })
        #expect(view.notes.contains { $0.hasPrefix("warning vault ssl_backend: ssl_passthrough sends the client's own TLS") })
    }

    @Test("ssl_backend_tls_verify without ssl_backend is a warning and ignored")
    func verifyWithoutBackend() {
        let view = view([.serviceCreated(F.service("shop", Self.shop.merging(["ssl_backend_tls_verify": "required"]) { $1 }))] + F.running(1, of: "shop", subnet: 1))
        #expect(view.frontends.map(\.tls?.verify) == [BackendVerify.none])
        #expect(view.notes == ["warning shop ssl_backend_tls_verify: ssl_backend_tls_verify applies to HTTPS upstreams only (ssl_backend=true); ignored"])
    }

    @Test("a shared host takes the oldest service's TLS settings; another service asking otherwise gets a warning naming what applies")
    func sharedHost() {
        let view = view([.serviceCreated(F.service("shop", Self.shop)),
                         .serviceCreated(F.service("shop-canary", Self.shop.merging(["ssl_cert": "shop-2027", "ssl_key": "shop-2027-key"]) { $1 }))]
                        + F.running(1, of: "shop", subnet: 1) + F.running(1, of: "shop-canary", subnet: 2))
        #expect(view.frontends.map(\.tls?.certificate) == ["shop-2026"])
        #expect(view.frontends[0].upstreams.count == 2)
        #expect(view.notes == ["warning shop-canary -: TLS settings (certificate shop-2027 (key shop-2027-key)) differ from shop, the oldest service on shop.local; certificate shop-2026 (key shop-2026-key) applies"])
    }

    @Test("a default backend without hosts serves plain HTTP: its TLS labels are a warning")
    func defaultBackend() {
        let view = view([.serviceCreated(F.service("fallback", ["default_backend": "true", "port": "80", "ssl_cert": "c", "ssl_key": "k"]))]
                        + F.running(1, of: "fallback", subnet: 1))
        #expect(view.defaultBackends.count == 1)
        #expect(view.notes == ["warning fallback ssl_cert: TLS labels apply to the hosts a service names; a default backend without hosts answers plain HTTP only; ignored"])
    }

    @Test("a certificate change is a new version and a diff naming both secrets")
    func certificateChangeReloads() {
        let before = ProxyView(cluster: "", projection: Fixture.project(Fixture.networks + [.serviceCreated(F.service("shop", Self.shop))]
                                                                         + F.running(1, of: "shop", subnet: 1)))
        let renewed = Self.shop.merging(["ssl_cert": "shop-2027", "ssl_key": "shop-2027-key", "ssl_only": "true"]) { $1 }
        let after = ProxyView(cluster: "", projection: Fixture.project(Fixture.networks + [.serviceCreated(F.service("shop", renewed))]
                                                                        + F.running(1, of: "shop", subnet: 1)))
        #expect(before.version != after.version)
        let diff = ProxyDiff(from: before, to: after)
        #expect(diff.options.map { "\($0.option) \($0.before) → \($0.after)" } == [
            "sslOnly false → true", "tlsCertificate shop-2026 → shop-2027", "tlsKey shop-2026-key → shop-2027-key",
        ])
        #expect(diff.upstreams.isEmpty)

        // A view without TLS keeps the version earlier builds gave it: the golden nginx configurations name
        // their versions, written before TLS settings existed, and still match (NginxRenderTests.golden).
    }

    @Test("routes --json carries a tls object per frontend (null without TLS)")
    func json() {
        let view = view([.serviceCreated(F.service("shop", Self.shop.merging(["ssl_backend": "true"]) { $1 })),
                         .serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
                        + F.running(1, of: "shop", subnet: 1) + F.running(1, of: "web", subnet: 2))
        let json = view.json(seq: 1, logTime: nil, names: NameBook())
        let tls = json["frontends"]?.arrayValue?.map { $0["tls"] }
        #expect(tls?[0]?.formatted(pretty: false) == #"{"cert":"shop-2026","key":"shop-2026-key","only":false,"backend":true,"verify":"none","passthrough":false}"#)
        #expect(tls?[1]?.isNull == true)
    }
}
