/// One upstream server of a frontend.
public struct Upstream: Sendable, Hashable {
    /// `ip:port` the proxy sends requests to.
    public var address: String
    /// The service it belongs to, by name.
    public var service: String
    /// The task behind it (task mode), or nil for a VIP.
    public var task: String?
    /// The fraction of the frontend's requests it receives.
    public var share: Double
    /// `max_fails` for the server line.
    public var maxFails: Int?
    /// `fail_timeout` for the server line.
    public var failTimeout: String?

    public init(address: String, service: String, task: String?, share: Double, maxFails: Int? = nil, failTimeout: String? = nil) {
        self.address = address
        self.service = service
        self.task = task
        self.share = share
        self.maxFails = maxFails
        self.failTimeout = failTimeout
    }
}

/// A host (and context root) the proxy serves, with the upstreams of every service that claims it.
public struct Frontend: Sendable, Hashable {
    public var key: FrontendKey
    /// Sticky cookie, from the oldest published service on the frontend.
    public var stickyCookie: String?
    /// `ip_hash`, from the oldest published service on the frontend.
    public var ipHash: Bool
    /// Whether the context root is stripped before proxying (oldest service).
    public var contextRootRewrite: Bool
    /// Redirects of all services on the frontend.
    public var redirects: [Redirect]
    /// Websocket paths of all services on the frontend.
    public var websocketEndpoints: [String]
    /// TLS settings, from the oldest published service on the frontend; nil: plain HTTP only.
    public var tls: TLSSettings?
    /// The services on the frontend, oldest first, by name.
    public var services: [String]
    /// All upstreams, with equal shares.
    public var upstreams: [Upstream]

    public var cluster: String { key.cluster }
    public var host: String { key.host }
    public var path: String { key.path }
}

/// The service that answers hosts no service claims, in one service cluster.
public struct DefaultBackend: Sendable, Hashable {
    /// The service cluster (`""` is the default cluster).
    public var cluster: String
    /// The service, by name.
    public var service: String
    /// Its upstreams, with equal shares.
    public var upstreams: [Upstream]
}

/// The routing of the whole cluster at one point: what the proxies serve, and what operators should know.
public struct RoutingView: Sendable, Hashable {
    /// Frontends with at least one upstream, sorted by cluster, host and path.
    public var frontends: [Frontend]
    /// One default backend per service cluster that has one, sorted by cluster.
    public var defaultBackends: [DefaultBackend]
    /// Everything ignored, invalid or left out, sorted.
    public var diagnostics: [Diagnostic]

    public init(frontends: [Frontend] = [], defaultBackends: [DefaultBackend] = [], diagnostics: [Diagnostic] = []) {
        self.frontends = frontends
        self.defaultBackends = defaultBackends
        self.diagnostics = diagnostics
    }

    /// The view restricted to one service cluster.
    public func filtered(cluster: String) -> RoutingView {
        RoutingView(
            frontends: frontends.filter { $0.cluster == cluster },
            defaultBackends: defaultBackends.filter { $0.cluster == cluster },
            diagnostics: diagnostics.filter { $0.cluster == nil || $0.cluster == cluster })
    }

    /// The view restricted to the frontends of `host` (case-insensitive); no default backend.
    public func filtered(host: String) -> RoutingView {
        let host = host.lowercased()
        return RoutingView(frontends: frontends.filter { $0.host == host }, defaultBackends: [],
                           diagnostics: diagnostics.filter { diagnostic in
                               diagnostic.host == host
                                   || frontends.contains { $0.host == host && diagnostic.service.map($0.services.contains) == true }
                           })
    }

    /// The view restricted to the frontends and default backends `service` takes part in, with only its
    /// upstreams (their shares as in the whole view), and its diagnostics.
    public func filtered(service: String) -> RoutingView {
        RoutingView(
            frontends: frontends.compactMap { frontend in
                guard frontend.services.contains(service) else { return nil }
                var mine = frontend
                mine.upstreams = frontend.upstreams.filter { $0.service == service }
                return mine
            },
            defaultBackends: defaultBackends.filter { $0.service == service },
            diagnostics: diagnostics.filter { $0.service == service })
    }
}
