/// How a published service's upstreams are addressed.
public enum BackendMode: String, Sendable, Hashable {
    /// One upstream per running task (container IP). The default.
    case task
    /// One upstream: the service's VIP on the route network.
    case vip
}

/// A `com.docker.lb.redirects` entry: requests for `source` get a 302 to `target`.
public struct Redirect: Sendable, Hashable, Comparable {
    /// The host (or URL) redirected from.
    public var source: String
    /// Where it is redirected to.
    public var target: String

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }

    /// The host a request must name to be redirected: the source's host part, lowercased
    /// (`http://old.example.com/` gives `old.example.com`); nil when that is no host name.
    public var sourceHost: String? {
        var rest = Substring(source)
        let scheme = Array("://")
        var index = rest.startIndex
        while index < rest.endIndex {
            if rest[index...].starts(with: scheme) { rest = rest[rest.index(index, offsetBy: scheme.count)...]; break }
            index = rest.index(after: index)
        }
        let host = rest.prefix { $0 != "/" && $0 != ":" }.lowercased()
        return LabelParser.isHostName(host) ? host : nil
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.source, lhs.target) < (rhs.source, rhs.target)
    }
}

/// The routing a service asks for through its valid `com.docker.lb.*` labels.
public struct ServiceRouting: Sendable, Hashable {
    /// Host names, lowercased, in label order, without duplicates.
    public var hosts: [String]
    /// The port every upstream is reached on, task or VIP: the required `port` label, 1 to 65535.
    public var port: Int
    /// The network (by name) whose addresses are used, when the label names one.
    public var networkName: String?
    /// The `backend_mode` label; `task` when absent.
    public var mode: BackendMode
    /// Whether the service serves hosts that no service claims.
    public var isDefaultBackend: Bool
    /// Cookie for sticky sessions (task mode only; nil in vip mode).
    public var stickyCookie: String?
    /// `ip_hash` balancing (task mode only; false in vip mode).
    public var ipHash: Bool
    /// The path the service is served under (`/` when no context root is set).
    public var path: String
    /// Whether the context root is stripped before proxying.
    public var contextRootRewrite: Bool
    /// Redirects, in label order.
    public var redirects: [Redirect]
    /// Paths upgraded to websocket.
    public var websocketEndpoints: [String]
    /// The proxy cluster that serves the service (`""` by default).
    public var cluster: String
    /// `max_fails` for each upstream server line.
    public var maxFails: Int?
    /// `fail_timeout` for each upstream server line (an nginx time, e.g. `10s`).
    public var failTimeout: String?
    /// TLS settings (`ssl_*` labels); nil when the service asks for none.
    public var tls: TLSSettings?

    /// Creates a routing with Interlock's defaults.
    public init(hosts: [String] = [], port: Int, networkName: String? = nil, mode: BackendMode = .task,
                isDefaultBackend: Bool = false, stickyCookie: String? = nil, ipHash: Bool = false,
                path: String = "/", contextRootRewrite: Bool = false, redirects: [Redirect] = [],
                websocketEndpoints: [String] = [], cluster: String = "", maxFails: Int? = nil, failTimeout: String? = nil,
                tls: TLSSettings? = nil) {
        self.hosts = hosts
        self.port = port
        self.networkName = networkName
        self.mode = mode
        self.isDefaultBackend = isDefaultBackend
        self.stickyCookie = stickyCookie
        self.ipHash = ipHash
        self.path = path
        self.contextRootRewrite = contextRootRewrite
        self.redirects = redirects
        self.websocketEndpoints = websocketEndpoints
        self.cluster = cluster
        self.maxFails = maxFails
        self.failTimeout = failTimeout
        self.tls = tls
    }

    /// The frontends the service contributes to.
    public var frontendKeys: [FrontendKey] {
        hosts.map { FrontendKey(cluster: cluster, host: $0, path: path) }
    }
}

/// Identifies a frontend: a host (and context root) in a service cluster.
public struct FrontendKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The service cluster (`""` is the default cluster).
    public var cluster: String
    /// The host name, lowercased.
    public var host: String
    /// The context root, `/` by default.
    public var path: String

    /// Takes `host` as given: pass it lowercased, as `ServiceRouting.hosts` are.
    public init(cluster: String, host: String, path: String = "/") {
        self.cluster = cluster
        self.host = host
        self.path = path
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.cluster, lhs.host, lhs.path) < (rhs.cluster, rhs.host, rhs.path)
    }

    public var description: String {
        let base = path == "/" ? host : host + path
        return cluster.isEmpty ? base : "\(base) [\(cluster)]"
    }
}
