import Testing
@testable import RouteLedgerCore

/// One rule of DESIGN section 3: the events given, the routing expected.
struct RuleCase: Sendable, CustomTestStringConvertible {
    let rule: String
    let events: [ClusterEvent]
    /// Every upstream line, exactly (see `RoutingView.lines`).
    let routes: [String]
    /// Each must appear in one diagnostic; empty means there must be no diagnostics at all.
    let notes: [String]

    init(_ rule: String, _ events: [ClusterEvent], routes: [String], notes: [String] = []) {
        self.rule = rule
        self.events = Fixture.networks + events
        self.routes = routes
        self.notes = notes
    }

    var testDescription: String { rule }
}

typealias F = Fixture

let routingRules: [RuleCase] = [
    // Publishing
    RuleCase("hosts and port publish a service, task mode by default",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "8080"]))] + F.running(1, of: "web", subnet: 1),
             routes: ["web.local 10.0.1.1:8080 web 100%"]),
    RuleCase("a comma list of hosts gives one frontend per host",
             [.serviceCreated(F.service("web", ["hosts": "a.local, B.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1),
             routes: ["a.local 10.0.1.1:80 web 100%", "b.local 10.0.1.1:80 web 100%"]),
    RuleCase("a service without lb labels is not published and not reported",
             [.serviceCreated(F.service("db", [:]))] + F.running(1, of: "db", subnet: 1),
             routes: []),
    RuleCase("a missing port leaves a new service unpublished, with an error",
             [.serviceCreated(F.service("web", ["hosts": "web.local"]))] + F.running(1, of: "web", subnet: 1),
             routes: [], notes: ["error web port: com.docker.lb.port is required to publish a service; service not published"]),
    RuleCase("a port out of range is invalid",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "70000"]))] + F.running(1, of: "web", subnet: 1),
             routes: [], notes: ["port \"70000\" is not a number from 1 to 65535; service not published"]),
    RuleCase("an unknown lb label is a warning and changes nothing",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "hsts_max_age": "x"]))] + F.running(1, of: "web", subnet: 1),
             routes: ["web.local 10.0.1.1:80 web 100%"], notes: ["warning web hsts_max_age: com.docker.lb.hsts_max_age is not supported"]),
    RuleCase("a label that looks like a known one is a warning that names it",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "sticky_sesion_cookie": "s"]))] + F.running(1, of: "web", subnet: 1),
             routes: ["web.local 10.0.1.1:80 web 100%"],
             notes: ["warning web sticky_sesion_cookie: com.docker.lb.sticky_sesion_cookie is not a label RouteLedger knows and is ignored; did you mean com.docker.lb.sticky_session_cookie?"]),
    RuleCase("host for hosts leaves the service unpublished, and says so",
             [.serviceCreated(F.service("web", ["host": "web.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1),
             routes: [], notes: ["error web host: com.docker.lb.host is not a label; did you mean com.docker.lb.hosts? Without it the service is not published"]),
    RuleCase("removing the lb labels unpublishes the service",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1)
                + [.serviceUpdated(F.service("web", [:]))],
             routes: []),

    // Networks
    RuleCase("the network label picks the route network by name",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "network": "other"], networks: ["n-demo", "n-other"])),
              .taskUpdated(F.task("t1", of: "web", ip: "10.0.1.1", extra: [NetworkAddress(networkID: "n-other", cidr: "10.9.0.1/24")]))],
             routes: ["web.local 10.9.0.1:80 web 100%"]),
    RuleCase("by default the only non-ingress network is used; ingress addresses never are",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"], networks: ["n-ingress", "n-demo"])),
              .taskUpdated(F.task("t1", of: "web", ip: "10.255.0.5", network: "n-ingress",
                                  extra: [NetworkAddress(networkID: "n-demo", cidr: "10.0.1.1/24")]))],
             routes: ["web.local 10.0.1.1:80 web 100%"]),
    RuleCase("several networks without the label: the first, with a warning",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"], networks: ["n-other", "n-demo"])),
              .taskUpdated(F.task("t1", of: "web", ip: "10.0.1.1", extra: [NetworkAddress(networkID: "n-other", cidr: "10.9.0.1/24")]))],
             routes: ["web.local 10.9.0.1:80 web 100%"], notes: ["several networks (other, demo); using other"]),
    RuleCase("only the ingress network: no upstreams, an error, the frontend left out",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"], networks: ["n-ingress"])),
              .taskUpdated(F.task("t1", of: "web", ip: "10.255.0.5", network: "n-ingress"))],
             routes: [], notes: ["no non-ingress network", "web.local has no running upstream; left out of the proxy configuration"]),

    // Task mode
    RuleCase("task mode: one upstream per running task with desired state running",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "backend_mode": "task"])),
              .taskUpdated(F.task("t1", of: "web", ip: "10.0.1.1")),
              .taskUpdated(F.task("t2", of: "web", .starting, ip: "10.0.1.2")),
              .taskUpdated(F.task("t3", of: "web", .running, desired: .shutdown, ip: "10.0.1.3")),
              .taskUpdated(F.task("t4", of: "web", .failed, desired: .running, ip: "10.0.1.4")),
              .taskUpdated(F.task("t5", of: "web", ip: "10.0.1.5"))],
             routes: ["web.local 10.0.1.1:80 web 50%", "web.local 10.0.1.5:80 web 50%"]),
    RuleCase("a drained task leaves the upstreams before it stops",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(2, of: "web", subnet: 1)
                + [.taskUpdated(F.task("web-2", of: "web", .running, desired: .shutdown, ip: "10.0.1.2"))],
             routes: ["web.local 10.0.1.1:80 web 100%"]),
    RuleCase("a running task without an address on the route network is not an upstream",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"])),
              .taskUpdated(F.task("t1", of: "web", ip: "10.9.0.1", network: "n-other")),
              .taskUpdated(F.task("t2", of: "web", ip: "10.0.1.2"))],
             routes: ["web.local 10.0.1.2:80 web 100%"]),

    // VIP mode
    RuleCase("vip mode: one upstream, the VIP on the route network",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 4))]
                + F.running(4, of: "demo", subnet: 2),
             routes: ["demo.local 10.0.2.9:8080 demo 100%"]),
    RuleCase("vip mode: the VIP is routed from the service's creation, before any task runs, with a warning",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9")),
              .taskUpdated(F.task("t1", of: "demo", .starting, ip: "10.0.2.10"))],
             routes: ["demo.local 10.0.2.9:8080 demo 100%"], notes: ["warning demo backend_mode: no running task: its VIP answers nothing"]),
    RuleCase("vip mode: the VIP stays when the last task stops (scale to zero), with a warning",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
                + F.running(2, of: "demo", subnet: 2)
                + [.taskUpdated(F.task("demo-1", of: "demo", .shutdown, desired: .shutdown, ip: "10.0.2.1")),
                   .taskUpdated(F.task("demo-2", of: "demo", .shutdown, desired: .shutdown, ip: "10.0.2.2")),
                   .taskRemoved("demo-1"), .taskRemoved("demo-2"),
                   .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 0))],
             routes: ["demo.local 10.0.2.9:8080 demo 100%"], notes: ["warning demo backend_mode: no running task: its VIP answers nothing"]),
    RuleCase("vip mode: a rescheduled task (the only replica fails, its replacement runs) keeps the VIP; the warning goes",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
                + F.running(1, of: "demo", subnet: 2)
                + [.taskUpdated(F.task("demo-1", of: "demo", .failed, desired: .shutdown, ip: "10.0.2.1")),
                   .taskUpdated(F.task("demo-1b", of: "demo", ip: "10.0.2.7"))],
             routes: ["demo.local 10.0.2.9:8080 demo 100%"]),
    RuleCase("vip mode: the VIP leaves with its network: detached, no upstream",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
                + F.running(1, of: "demo", subnet: 2)
                + [.serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], networks: []))],
             routes: [], notes: ["the service has no non-ingress network; no upstreams", "demo.local has no running upstream"]),
    RuleCase("vip mode: the VIP leaves with the service",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
                + F.running(1, of: "demo", subnet: 2) + [.serviceRemoved("s-demo")],
             routes: []),
    RuleCase("vip mode: switching to task mode routes the running tasks instead of the VIP",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
                + F.running(2, of: "demo", subnet: 2)
                + [.serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080"], vip: "10.0.2.9"))],
             routes: ["demo.local 10.0.2.1:8080 demo 50%", "demo.local 10.0.2.2:8080 demo 50%"]),
    RuleCase("vip mode without a VIP on the route network: no upstream, a warning",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"]))]
                + F.running(1, of: "demo", subnet: 2),
             routes: [], notes: ["vip mode, but the service has no VIP on network demo; no upstreams"]),
    RuleCase("a vip-mode default backend is routed from its creation, before any task runs",
             [.serviceCreated(F.service("fallback", ["default_backend": "true", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.4"))],
             routes: ["default 10.0.2.4:8080 fallback 100%"], notes: ["warning fallback backend_mode: no running task: its VIP answers nothing"]),

    // Shared frontends
    RuleCase("task-mode canary: one task next to four gets 1/5",
             [.serviceCreated(F.service("shop", ["hosts": "shop.local", "port": "8080"], replicas: 4))] + F.running(4, of: "shop", subnet: 1)
                + [.serviceCreated(F.service("canary", ["hosts": "shop.local", "port": "8080"]))] + F.running(1, of: "canary", subnet: 3),
             routes: ["shop.local 10.0.1.1:8080 shop 20%", "shop.local 10.0.1.2:8080 shop 20%", "shop.local 10.0.1.3:8080 shop 20%",
                      "shop.local 10.0.1.4:8080 shop 20%", "shop.local 10.0.3.1:8080 canary 20%"]),
    RuleCase("vip-mode canary: one service next to one gets 1/2",
             [.serviceCreated(F.service("api", ["hosts": "api.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.4.100", replicas: 4))]
                + F.running(4, of: "api", subnet: 4)
                + [.serviceCreated(F.service("canary", ["hosts": "api.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.5.100"))]
                + F.running(1, of: "canary", subnet: 5),
             routes: ["api.local 10.0.4.100:8080 api 50%", "api.local 10.0.5.100:8080 canary 50%"]),

    // Host-level options
    RuleCase("sticky cookie in task mode",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "sticky_session_cookie": "session"]))]
                + F.running(1, of: "web", subnet: 1),
             routes: ["web.local 10.0.1.1:80 web 100%"]),
    RuleCase("sticky cookie in vip mode is ignored, with a warning",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "80", "backend_mode": "vip", "sticky_session_cookie": "session"], vip: "10.0.2.9"))]
                + F.running(1, of: "demo", subnet: 2),
             routes: ["demo.local 10.0.2.9:80 demo 100%"], notes: ["warning demo sticky_session_cookie: sticky sessions need task mode"]),
    RuleCase("ip_hash in vip mode is ignored, with a warning",
             [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "80", "backend_mode": "vip", "ip_hash": "true"], vip: "10.0.2.9"))]
                + F.running(1, of: "demo", subnet: 2),
             routes: ["demo.local 10.0.2.9:80 demo 100%"], notes: ["warning demo ip_hash: ip_hash needs task mode"]),
    RuleCase("host options come from the oldest service, even without upstreams; a conflict is a warning",
             [.serviceCreated(F.service("old", ["hosts": "web.local", "port": "80", "sticky_session_cookie": "a"])),
              .serviceCreated(F.service("new", ["hosts": "web.local", "port": "80", "sticky_session_cookie": "b"]))]
                + F.running(1, of: "new", subnet: 2),
             routes: ["web.local 10.0.2.1:80 new 100%"], notes: ["warning new sticky_session_cookie: sticky_session_cookie differs from old, the oldest service on web.local; cookie a applies"]),

    // Default backend
    RuleCase("default backend: serves hosts nobody claims",
             [.serviceCreated(F.service("demo-default", ["default_backend": "true", "port": "8080"]))] + F.running(1, of: "demo-default", subnet: 1),
             routes: ["default 10.0.1.1:8080 demo-default 100%"]),
    RuleCase("default backend: the oldest one that has upstreams",
             [.serviceCreated(F.service("first", ["default_backend": "true", "port": "80"])),
              .serviceCreated(F.service("second", ["default_backend": "true", "port": "80"]))] + F.running(1, of: "second", subnet: 2),
             routes: ["default 10.0.2.1:80 second 100%"]),
    RuleCase("default backend: per service cluster",
             [.serviceCreated(F.service("a", ["default_backend": "true", "port": "80"])),
              .serviceCreated(F.service("b", ["default_backend": "true", "port": "80", "service_cluster": "edge"]))]
                + F.running(1, of: "a", subnet: 1) + F.running(1, of: "b", subnet: 2),
             routes: ["default 10.0.1.1:80 a 100%", "default[edge] 10.0.2.1:80 b 100%"]),

    // Paths and extras
    RuleCase("context root makes a frontend per host and path",
             [.serviceCreated(F.service("app", ["hosts": "web.local", "port": "80", "context_root": "/app/", "context_root_rewrite": "true"])),
              .serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
                + F.running(1, of: "app", subnet: 1) + F.running(1, of: "web", subnet: 2),
             routes: ["web.local 10.0.2.1:80 web 100%", "web.local/app 10.0.1.1:80 app 100%"]),
    RuleCase("service clusters keep frontends apart",
             [.serviceCreated(F.service("a", ["hosts": "web.local", "port": "80"])),
              .serviceCreated(F.service("b", ["hosts": "web.local", "port": "80", "service_cluster": "edge"]))]
                + F.running(1, of: "a", subnet: 1) + F.running(1, of: "b", subnet: 2),
             routes: ["web.local 10.0.1.1:80 a 100%", "web.local [edge] 10.0.2.1:80 b 100%"]),
    RuleCase("a redirect without a target is invalid",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "redirects": "http://old.local"]))]
                + F.running(1, of: "web", subnet: 1),
             routes: [], notes: ["redirect \"http://old.local\" is not source,target; service not published"]),
    RuleCase("a fail_timeout that is not an nginx time is invalid",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80", "fail_timeout": "soon"]))]
                + F.running(1, of: "web", subnet: 1),
             routes: [], notes: ["fail_timeout \"soon\" is not an nginx time"]),

    // Ordering and lifecycle
    RuleCase("tasks that arrive before their service count once it exists",
             F.running(2, of: "web", subnet: 1) + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))],
             routes: ["web.local 10.0.1.1:80 web 50%", "web.local 10.0.1.2:80 web 50%"]),
    RuleCase("tasks of a removed service are not routed",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(2, of: "web", subnet: 1)
                + [.serviceRemoved("s-web")],
             routes: []),
    RuleCase("a removed task leaves the upstreams",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(2, of: "web", subnet: 1)
                + [.taskRemoved("web-1")],
             routes: ["web.local 10.0.1.2:80 web 100%"]),

    // Bad labels never take a cluster down
    RuleCase("an update that breaks the labels keeps the last valid routing",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1)
                + [.serviceUpdated(F.service("web", ["hosts": "web.local", "port": "80", "backend_mode": "bogus"]))],
             routes: ["web.local 10.0.1.1:80 web 100%"], notes: ["error web backend_mode: backend_mode \"bogus\" is not task or vip; last valid routing kept"]),
    RuleCase("tasks keep following the last valid routing",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1)
                + [.serviceUpdated(F.service("web", ["hosts": "web.local", "port": "80a"]))] + F.running(2, of: "web", subnet: 1),
             routes: ["web.local 10.0.1.1:80 web 50%", "web.local 10.0.1.2:80 web 50%"], notes: ["last valid routing kept"]),
    RuleCase("fixing the labels clears the diagnostic",
             [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1)
                + [.serviceUpdated(F.service("web", ["hosts": "web.local", "port": "80a"])),
                   .serviceUpdated(F.service("web", ["hosts": "web.local", "port": "81"]))],
             routes: ["web.local 10.0.1.1:81 web 100%"]),
]

@Suite("Interlock routing rules (DESIGN section 3)")
struct RoutingRulesTests {
    @Test(arguments: routingRules)
    func rule(_ rule: RuleCase) {
        let projection = Fixture.project(rule.events)
        let view = projection.view
        #expect(view.lines == rule.routes)
        if rule.notes.isEmpty {
            #expect(view.notes == [])
        }
        for note in rule.notes {
            #expect(view.notes.contains { $0.contains(note) }, "missing diagnostic: \(note)\nhave: \(view.notes)")
        }
        // The incremental projection and the from-scratch computation agree on every rule.
        #expect(view == RoutingView(state: projection.state))
    }

    @Test("vip mode: scaling, images, env and non-lb labels change nothing the proxy sees")
    func vipChurnIsInvisible() {
        let base: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 4))]
            + F.running(4, of: "demo", subnet: 2)
        var projection = Fixture.project(base)
        let before = projection.view
        let churn: [ClusterEvent] = [
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6)),
            .taskUpdated(F.task("demo-5", of: "demo", ip: "10.0.2.5")),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6, image: "img:2")),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6, image: "img:2", env: ["A=1"])),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6, image: "img:2", env: ["A=1"], otherLabels: ["team": "x"])),
            .taskUpdated(F.task("demo-1", of: "demo", .failed, desired: .shutdown, ip: "10.0.2.1")),
            .taskUpdated(F.task("demo-6", of: "demo", ip: "10.0.2.6")),
        ]
        for (i, event) in churn.enumerated() {
            let change = projection.apply(event, seq: Seq(base.count + i + 1))
            #expect(projection.view.frontends == before.frontends, "event \(i) changed the frontends")
            #expect(change.frontends.isEmpty || projection.view.frontends == before.frontends)
        }
    }

    @Test("the shares of a frontend always sum to 1")
    func sharesSumToOne() {
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("a", ["hosts": "x.local", "port": "80"]))] + F.running(3, of: "a", subnet: 1)
            + [.serviceCreated(F.service("b", ["hosts": "x.local", "port": "80", "backend_mode": "vip"], vip: "10.0.9.9"))]
            + F.running(2, of: "b", subnet: 2)
        let frontend = Fixture.project(events).view.frontends[0]
        #expect(frontend.upstreams.count == 4)
        #expect(abs(frontend.upstreams.map(\.share).reduce(0, +) - 1) < 1e-12)
    }

    @Test("upstream server options come from each service")
    func serverOptions() {
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("a", ["hosts": "x.local", "port": "80", "max_fails": "3", "fail_timeout": "10s"]))]
            + F.running(1, of: "a", subnet: 1)
        let upstream = Fixture.project(events).view.frontends[0].upstreams[0]
        #expect(upstream.maxFails == 3)
        #expect(upstream.failTimeout == "10s")
    }

    @Test("redirects and websocket endpoints are frontend options")
    func redirectsAndWebsockets() {
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("a", ["hosts": "x.local", "port": "80",
                                               "redirects": "http://old.local,http://x.local;http://a.local,http://x.local",
                                               "websocket_endpoints": "/ws, /live"]))]
            + F.running(1, of: "a", subnet: 1)
        let frontend = Fixture.project(events).view.frontends[0]
        #expect(frontend.redirects == [Redirect(source: "http://old.local", target: "http://x.local"),
                                       Redirect(source: "http://a.local", target: "http://x.local")])
        #expect(frontend.websocketEndpoints == ["/live", "/ws"])
    }

    @Test("context_root_rewrite and ip_hash are carried to the frontend")
    func frontendFlags() {
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("a", ["hosts": "x.local", "port": "80", "context_root": "/api", "context_root_rewrite": "1", "ip_hash": "true"]))]
            + F.running(1, of: "a", subnet: 1)
        let frontend = Fixture.project(events).view.frontends[0]
        #expect(frontend.path == "/api")
        #expect(frontend.contextRootRewrite)
        #expect(frontend.ipHash)
        #expect(frontend.stickyCookie == nil)
    }
}

@Suite("Routing views per service cluster")
struct ClusterFilterTests {
    @Test("a cluster's view holds its frontends, default backend and diagnostics only")
    func filtered() {
        let events: [ClusterEvent] = Fixture.networks + [
            .serviceCreated(F.service("a", ["hosts": "a.local", "port": "80", "hsts_max_age": "x"])),
            .serviceCreated(F.service("b", ["hosts": "b.local", "port": "80", "service_cluster": "edge", "hsts_max_age": "x"])),
            .serviceCreated(F.service("c", ["hosts": "c.local", "port": "80a", "service_cluster": "edge"])),
        ] + F.running(1, of: "a", subnet: 1) + F.running(1, of: "b", subnet: 2)
        let view = Fixture.project(events).view
        let edge = view.filtered(cluster: "edge")
        #expect(edge.lines == ["b.local [edge] 10.0.2.1:80 b 100%"])
        #expect(Set(edge.diagnostics.compactMap(\.service)) == ["b", "c"])
        let main = view.filtered(cluster: "")
        #expect(main.lines == ["a.local 10.0.1.1:80 a 100%"])
        #expect(Set(main.diagnostics.compactMap(\.service)) == ["a"])
    }
}
