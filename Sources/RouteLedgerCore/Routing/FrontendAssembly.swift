/// Builds frontends and default backends from the routes of the services on them.
///
/// Shared by the from-scratch computation and the incremental projection: both agree on the rules,
/// they differ only in which frontends they rebuild.
enum FrontendAssembly {
    /// A frontend (nil when it has no upstreams) and its diagnostics, from its services oldest first.
    static func frontend(_ key: FrontendKey, members: [ServiceRoute]) -> (Frontend?, [Diagnostic]) {
        guard let oldest = members.first, let options = oldest.routing else { return (nil, []) }
        var diagnostics: [Diagnostic] = []
        var upstreams: [Upstream] = []
        var redirects: [Redirect] = []
        var websocketEndpoints: [String] = []
        for member in members {
            guard let routing = member.routing else { continue }
            for target in member.upstreams {
                upstreams.append(Upstream(address: target.address, service: member.name, task: target.task?.rawValue,
                                          share: 0, maxFails: routing.maxFails, failTimeout: routing.failTimeout))
            }
            collectOptions(routing, &redirects, &websocketEndpoints)
            guard member.id != oldest.id else { continue }
            if routing.stickyCookie != options.stickyCookie {
                diagnostics.append(conflict(member, key, "sticky_session_cookie", oldest,
                                            options.stickyCookie.map { "cookie \($0)" } ?? "no sticky cookie"))
            }
            if routing.ipHash != options.ipHash {
                diagnostics.append(conflict(member, key, "ip_hash", oldest, "ip_hash=\(options.ipHash)"))
            }
            if routing.contextRootRewrite != options.contextRootRewrite {
                diagnostics.append(conflict(member, key, "context_root_rewrite", oldest,
                                            "context_root_rewrite=\(options.contextRootRewrite)"))
            }
            if routing.tls != options.tls {
                diagnostics.append(Diagnostic(.warning, service: member.name, label: nil, host: key.host, cluster: key.cluster,
                                              message: "TLS settings (\(routing.tls?.summary ?? "no TLS")) differ from \(oldest.name), the oldest service on \(key); \(options.tls?.summary ?? "no TLS") applies"))
            }
        }
        guard !upstreams.isEmpty else {
            diagnostics.append(Diagnostic(.warning, service: oldest.name, label: nil, host: key.host, cluster: key.cluster,
                                          message: "\(key) has no running upstream; left out of the proxy configuration"))
            return (nil, diagnostics)
        }
        let share = 1.0 / Double(upstreams.count)
        for i in upstreams.indices { upstreams[i].share = share }
        let frontend = Frontend(key: key, stickyCookie: options.stickyCookie, ipHash: options.ipHash,
                                contextRootRewrite: options.contextRootRewrite, redirects: redirects,
                                websocketEndpoints: websocketEndpoints.sorted(), tls: options.tls,
                                services: members.filter { $0.routing != nil }.map(\.name), upstreams: upstreams)
        return (frontend, diagnostics)
    }

    /// What the proxy needs of a frontend (nil when it has no upstreams): the same rules as `frontend`,
    /// without names, shares or diagnostics. The reload projection calls it for every touched frontend.
    static func proxyFrontend(_ key: FrontendKey, members: [ServiceRoute]) -> ProxyFrontend? {
        guard let oldest = members.first, let options = oldest.routing else { return nil }
        var servers: [ProxyServer] = []
        var redirects: [Redirect] = []
        var websocketEndpoints: [String] = []
        for member in members {
            guard let routing = member.routing else { continue }
            for target in member.upstreams {
                servers.append(ProxyServer(address: target.address, maxFails: routing.maxFails, failTimeout: routing.failTimeout))
            }
            collectOptions(routing, &redirects, &websocketEndpoints)
        }
        guard !servers.isEmpty else { return nil }
        servers.sort()
        return ProxyFrontend(key: key, stickyCookie: options.stickyCookie, ipHash: options.ipHash,
                             contextRootRewrite: options.contextRootRewrite, redirects: redirects,
                             websocketEndpoints: websocketEndpoints.sorted(), tls: options.tls, servers: servers)
    }

    /// Redirects and websocket paths of every service on a frontend, first seen first.
    private static func collectOptions(_ routing: ServiceRouting, _ redirects: inout [Redirect], _ websocketEndpoints: inout [String]) {
        for redirect in routing.redirects where !redirects.contains(redirect) { redirects.append(redirect) }
        for endpoint in routing.websocketEndpoints where !websocketEndpoints.contains(endpoint) {
            websocketEndpoints.append(endpoint)
        }
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

    private static func conflict(_ member: ServiceRoute, _ key: FrontendKey, _ label: String,
                                 _ oldest: ServiceRoute, _ applied: String) -> Diagnostic {
        Diagnostic(.warning, service: member.name, label: LabelParser.prefix + label, host: key.host, cluster: key.cluster,
                   message: "\(label) differs from \(oldest.name), the oldest service on \(key); \(applied) applies")
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
