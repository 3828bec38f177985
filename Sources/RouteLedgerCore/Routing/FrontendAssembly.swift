/// What Interlock's rules make of the services on one frontend, oldest first: the oldest routed service's
/// options apply (sticky cookie, ip_hash, context-root rewrite, TLS), every service's redirects and
/// websocket paths add up (first seen first), every running upstream of every service serves. The one
/// home of those rules: the operator's ``Frontend`` and the proxy's ``ProxyFrontend`` are both read off it.
struct FrontendRules {
    let key: FrontendKey
    /// The services on the frontend, oldest first (those whose labels no longer route are skipped).
    let members: [ServiceRoute]
    /// The oldest service, whose options apply.
    let oldest: ServiceRoute
    let options: ServiceRouting
    private(set) var redirects: [Redirect] = []
    /// Sorted.
    private(set) var websocketEndpoints: [String] = []
    private(set) var upstreamCount = 0

    /// The rules for `members` (oldest first); nil when the oldest does not route.
    init?(_ key: FrontendKey, members: [ServiceRoute]) {
        guard let oldest = members.first, let options = oldest.routing else { return nil }
        self.key = key
        self.members = members
        self.oldest = oldest
        self.options = options
        for member in members {
            guard let routing = member.routing else { continue }
            upstreamCount += member.upstreams.count
            for redirect in routing.redirects where !redirects.contains(redirect) { redirects.append(redirect) }
            for endpoint in routing.websocketEndpoints where !websocketEndpoints.contains(endpoint) {
                websocketEndpoints.append(endpoint)
            }
        }
        websocketEndpoints.sort()
    }

    /// A frontend without a running upstream is left out of the proxy configuration.
    var isServed: Bool { upstreamCount > 0 }

    /// The proxy's view: the options and the servers, sorted (no names, shares or diagnostics). The reload
    /// projection asks for it for every frontend an event touches.
    var proxyFrontend: ProxyFrontend? {
        guard isServed else { return nil }
        var servers: [ProxyServer] = []
        servers.reserveCapacity(upstreamCount)
        for member in members {
            guard let routing = member.routing else { continue }
            for target in member.upstreams {
                servers.append(ProxyServer(address: target.address, maxFails: routing.maxFails, failTimeout: routing.failTimeout))
            }
        }
        servers.sort()
        return ProxyFrontend(key: key, stickyCookie: options.stickyCookie, ipHash: options.ipHash,
                             contextRootRewrite: options.contextRootRewrite, redirects: redirects,
                             websocketEndpoints: websocketEndpoints, tls: options.tls, servers: servers)
    }

    /// The operator's view (nil when not served) and its diagnostics: each upstream named by its service and
    /// task, with its share, and a warning for each younger service whose options differ from those that
    /// apply.
    var frontend: (Frontend?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var upstreams: [Upstream] = []
        upstreams.reserveCapacity(upstreamCount)
        let share = upstreamCount > 0 ? 1.0 / Double(upstreamCount) : 0
        for member in members {
            guard let routing = member.routing else { continue }
            for target in member.upstreams {
                upstreams.append(Upstream(address: target.address, service: member.name, task: target.task?.rawValue,
                                          share: share, maxFails: routing.maxFails, failTimeout: routing.failTimeout))
            }
            if member.id != oldest.id { diagnostics += conflicts(of: member, routing) }
        }
        guard isServed else {
            diagnostics.append(Diagnostic(.warning, service: oldest.name, label: nil, host: key.host, cluster: key.cluster,
                                          message: "\(key) has no running upstream; left out of the proxy configuration"))
            return (nil, diagnostics)
        }
        let frontend = Frontend(key: key, stickyCookie: options.stickyCookie, ipHash: options.ipHash,
                                contextRootRewrite: options.contextRootRewrite, redirects: redirects,
                                websocketEndpoints: websocketEndpoints, tls: options.tls,
                                services: members.filter { $0.routing != nil }.map(\.name), upstreams: upstreams)
        return (frontend, diagnostics)
    }

    /// A warning for each option of a younger service that differs from the oldest's, which applies.
    private func conflicts(of member: ServiceRoute, _ routing: ServiceRouting) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func conflict(_ label: String, _ applied: String) {
            diagnostics.append(Diagnostic(.warning, service: member.name, label: LabelParser.prefix + label, host: key.host, cluster: key.cluster,
                                          message: "\(label) differs from \(oldest.name), the oldest service on \(key); \(applied) applies"))
        }
        if routing.stickyCookie != options.stickyCookie {
            conflict("sticky_session_cookie", options.stickyCookie.map { "cookie \($0)" } ?? "no sticky cookie")
        }
        if routing.ipHash != options.ipHash { conflict("ip_hash", "ip_hash=\(options.ipHash)") }
        if routing.contextRootRewrite != options.contextRootRewrite {
            conflict("context_root_rewrite", "context_root_rewrite=\(options.contextRootRewrite)")
        }
        if routing.tls != options.tls {
            diagnostics.append(Diagnostic(.warning, service: member.name, label: nil, host: key.host, cluster: key.cluster,
                                          message: "TLS settings (\(routing.tls?.summary ?? "no TLS")) differ from \(oldest.name), the oldest service on \(key); \(options.tls?.summary ?? "no TLS") applies"))
        }
        return diagnostics
    }
}

/// Builds frontends and default backends from the routes of the services on them.
///
/// Shared by the from-scratch computation and the incremental projection: both agree on the rules,
/// they differ only in which frontends they rebuild.
enum FrontendAssembly {
    /// A frontend (nil when it has no upstreams) and its diagnostics, from its services oldest first.
    static func frontend(_ key: FrontendKey, members: [ServiceRoute]) -> (Frontend?, [Diagnostic]) {
        FrontendRules(key, members: members)?.frontend ?? (nil, [])
    }

    /// What the proxy needs of a frontend (nil when it has no upstreams).
    static func proxyFrontend(_ key: FrontendKey, members: [ServiceRoute]) -> ProxyFrontend? {
        FrontendRules(key, members: members)?.proxyFrontend
    }

    /// The default backend of a cluster: the oldest default-backend service that has upstreams.
    static func defaultBackend(cluster: String, candidates: [ServiceRoute]) -> DefaultBackend? {
        guard let chosen = candidates.first(where: { !$0.upstreams.isEmpty }), let routing = chosen.routing else { return nil }
        let share = 1.0 / Double(chosen.upstreams.count)
        return DefaultBackend(cluster: cluster, service: chosen.name, upstreams: chosen.upstreams.map {
            Upstream(address: $0.address, service: chosen.name, task: $0.task?.rawValue, share: share,
                     maxFails: routing.maxFails, failTimeout: routing.failTimeout)
        })
    }
}

extension RoutingView {
    /// Computes the routing from scratch: every service, every frontend.
    ///
    /// The incremental ``RoutingProjection`` must always agree with this.
    public init(state: ClusterState) {
        var routes: [ServiceRoute] = state.services.values.map { ServiceRoute($0, in: state) }
        routes.sort(by: ServiceRoute.isOlder)
        var members: [FrontendKey: [ServiceRoute]] = [:]
        var defaults: [String: [ServiceRoute]] = [:]
        var diagnostics: [Diagnostic] = []
        for route in routes {
            diagnostics += route.reportedDiagnostics
            guard let routing = route.routing else { continue }
            for key in routing.frontendKeys { members[key, default: []].append(route) }
            if routing.isDefaultBackend { defaults[routing.cluster, default: []].append(route) }
        }
        var frontends: [Frontend] = []
        for key in members.keys.sorted() {
            let (frontend, notes) = FrontendAssembly.frontend(key, members: members[key]!)
            if let frontend { frontends.append(frontend) }
            diagnostics += notes
        }
        let defaultBackends = defaults.keys.sorted().compactMap {
            FrontendAssembly.defaultBackend(cluster: $0, candidates: defaults[$0]!)
        }
        self.init(frontends: frontends, defaultBackends: defaultBackends, diagnostics: diagnostics.sorted())
    }
}
