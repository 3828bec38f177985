import Crypto
import RouteLedgerJSON

/// One `server` line of an upstream block: what nginx sees of an upstream.
public struct ProxyServer: Sendable, Hashable, Comparable {
    /// `ip:port`.
    public var address: String
    /// `max_fails`, when set.
    public var maxFails: Int?
    /// `fail_timeout`, when set.
    public var failTimeout: String?

    public init(address: String, maxFails: Int? = nil, failTimeout: String? = nil) {
        self.address = address
        self.maxFails = maxFails
        self.failTimeout = failTimeout
    }

    init(_ upstream: Upstream) {
        self.init(address: upstream.address, maxFails: upstream.maxFails, failTimeout: upstream.failTimeout)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.address != rhs.address { return lhs.address < rhs.address }
        if lhs.maxFails != rhs.maxFails { return (lhs.maxFails ?? -1) < (rhs.maxFails ?? -1) }
        return (lhs.failTimeout ?? "") < (rhs.failTimeout ?? "")
    }
}

/// A frontend as the proxy configuration needs it: no service names, task ids or shares (all servers of a
/// frontend weigh the same), so replacing a task by one at the same address changes nothing.
public struct ProxyFrontend: Sendable, Hashable {
    public var key: FrontendKey
    /// The cookie nginx hashes to pick a server (`hash $cookie_NAME consistent;`); nil: no stickiness.
    public var stickyCookie: String?
    /// Balance by client address: `ip_hash;` (a sticky cookie takes precedence), or `hash $remote_addr
    /// consistent;` for a passthrough host.
    public var ipHash: Bool
    /// Strip the context root.
    public var contextRootRewrite: Bool
    /// The redirects of every service on the frontend, without repeats, oldest service first.
    public var redirects: [Redirect]
    /// The websocket paths of every service on the frontend, without repeats, sorted.
    public var websocketEndpoints: [String]
    /// TLS settings; nil: plain HTTP only.
    public var tls: TLSSettings?
    /// The upstream servers, sorted.
    public var servers: [ProxyServer]

    public init(key: FrontendKey, stickyCookie: String?, ipHash: Bool, contextRootRewrite: Bool, redirects: [Redirect],
                websocketEndpoints: [String], tls: TLSSettings? = nil, servers: [ProxyServer]) {
        self.key = key
        self.stickyCookie = stickyCookie
        self.ipHash = ipHash
        self.contextRootRewrite = contextRootRewrite
        self.redirects = redirects
        self.websocketEndpoints = websocketEndpoints
        self.tls = tls
        self.servers = servers
    }

    /// The proxy's part of a routed frontend.
    public init(_ frontend: Frontend) {
        key = frontend.key
        stickyCookie = frontend.stickyCookie
        ipHash = frontend.ipHash
        contextRootRewrite = frontend.contextRootRewrite
        redirects = frontend.redirects
        websocketEndpoints = frontend.websocketEndpoints
        tls = frontend.tls
        servers = frontend.upstreams.map(ProxyServer.init).sorted()
    }

    /// The canonical serialization that the frontend's digest covers (compact JSON, members in a fixed order,
    /// written directly; ``CanonicalFrontend`` puts the servers between these two parts) up to the servers'
    /// list, its `[` included.
    func writeCanonicalHead(into out: inout [UInt8]) {
        out += #"{"host":"#.utf8
        writeJSONString(key.host, into: &out)
        out += #","path":"#.utf8
        writeJSONString(key.path, into: &out)
        out += #","sticky":"#.utf8
        if let stickyCookie { writeJSONString(stickyCookie, into: &out) } else { out += "null".utf8 }
        out += (ipHash ? #","ipHash":true"# : #","ipHash":false"#).utf8
        out += (contextRootRewrite ? #","rewrite":true"# : #","rewrite":false"#).utf8
        out += #","redirects":["#.utf8
        for (i, redirect) in redirects.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            writeJSONString(redirect.source, into: &out)
            out.append(UInt8(ascii: ","))
            writeJSONString(redirect.target, into: &out)
            out.append(UInt8(ascii: "]"))
        }
        out += #"],"websockets":["#.utf8
        for (i, endpoint) in websocketEndpoints.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeJSONString(endpoint, into: &out)
        }
        out += #"],"servers":["#.utf8
    }

    /// The serialization after the servers' list, its `]` included. A frontend without TLS settings has no
    /// `tls` member, so its digest (and the version of a view without TLS) is the one earlier builds computed.
    func writeCanonicalTail(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "]"))
        if let tls { tls.writeCanonical(into: &out) }
        out.append(UInt8(ascii: "}"))
    }
}

extension TLSSettings {
    /// `,"tls":["shop-2026","shop-2026-key",false,false,"none",false]`: certificate, key, only, backend,
    /// verify, passthrough.
    func writeCanonical(into out: inout [UInt8]) {
        out += #","tls":["#.utf8
        if let certificate { writeJSONString(certificate, into: &out) } else { out += "null".utf8 }
        out.append(UInt8(ascii: ","))
        if let key { writeJSONString(key, into: &out) } else { out += "null".utf8 }
        out += (only ? ",true" : ",false").utf8
        out += (backend ? ",true," : ",false,").utf8
        writeJSONString(verify.rawValue, into: &out)
        out += (passthrough ? ",true]" : ",false]").utf8
    }
}

extension ProxyServer {
    /// `["10.0.2.9:8080",3,"10s"]` (null for an unset option).
    func writeCanonical(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        writeJSONString(address, into: &out)
        out.append(UInt8(ascii: ","))
        if let maxFails { out += String(maxFails).utf8 } else { out += "null".utf8 }
        out.append(UInt8(ascii: ","))
        if let failTimeout { writeJSONString(failTimeout, into: &out) } else { out += "null".utf8 }
        out.append(UInt8(ascii: "]"))
    }
}

/// Everything the proxy configuration of one service cluster depends on: frontends with their servers and
/// options, the default backend, and the networks the proxy must join. Diagnostics are not part of it.
public struct ProxyView: Sendable, Hashable {
    /// The service cluster (`""` is the default cluster).
    public var cluster: String
    /// Frontends with servers, sorted by key.
    public var frontends: [ProxyFrontend]
    /// The default backend's servers (empty: unknown hosts get 503).
    public var defaultBackend: [ProxyServer]
    /// Networks the proxy must join: the route networks of the services that contribute an upstream.
    public var networks: [NetworkID]

    public init(cluster: String, frontends: [ProxyFrontend] = [], defaultBackend: [ProxyServer] = [], networks: [NetworkID] = []) {
        self.cluster = cluster
        self.frontends = frontends
        self.defaultBackend = defaultBackend
        self.networks = networks
    }

    /// The view of `cluster` in the incremental projection.
    public init(cluster: String, projection: RoutingProjection) {
        let frontends = projection.frontendKeys(cluster: cluster).compactMap(projection.proxyFrontend)
        self.init(cluster: cluster, frontends: frontends,
                  defaultBackend: projection.defaultBackend(cluster: cluster)?.upstreams.map(ProxyServer.init).sorted() ?? [],
                  networks: projection.proxyNetworks(cluster: cluster))
    }

    /// The view of `cluster` computed from scratch.
    public init(cluster: String, state: ClusterState) {
        let view = RoutingView(state: state).filtered(cluster: cluster)
        let networks = Set(state.services.values.compactMap { ServiceRoute($0, in: state).proxyNetwork }
            .filter { $0.cluster == cluster }.map(\.network))
        self.init(cluster: cluster, frontends: view.frontends.map(ProxyFrontend.init),
                  defaultBackend: view.defaultBackends.first?.upstreams.map(ProxyServer.init).sorted() ?? [],
                  networks: networks.sorted())
    }

    /// The config version: see ``ConfigVersion``.
    public var version: ConfigVersion {
        var digest = ConfigVersion.Accumulator(cluster: cluster)
        for frontend in frontends { digest.add(frontend) }
        digest.defaultBackend = ConfigVersion.digest(defaultBackend)
        digest.networks = ConfigVersion.digest(networks)
        return digest.version
    }
}
