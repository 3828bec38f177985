/// A Swarm network as the proxy needs to know it.
public struct Network: Sendable, Hashable {
    public var id: NetworkID
    /// The network's name, which the `com.docker.lb.network` label refers to.
    public var name: String
    /// The driver (`overlay`, …), when given.
    public var driver: String?
    /// Whether this is the routing mesh's ingress network, which is never used for routing.
    public var ingress: Bool

    public init(id: NetworkID, name: String, driver: String? = nil, ingress: Bool = false) {
        self.id = id
        self.name = name
        self.driver = driver
        self.ingress = ingress
    }
}

/// An address on a network, as Docker gives it: `10.0.2.9/24` (the prefix is optional).
public struct NetworkAddress: Sendable, Hashable {
    public var networkID: NetworkID
    /// The address in CIDR form, as given.
    public let cidr: String
    /// The address without its prefix length (`10.0.2.9`), split off once: routing uses it on every task event.
    public let ip: String

    public init(networkID: NetworkID, cidr: String) {
        self.networkID = networkID
        self.cidr = cidr
        if let slash = cidr.utf8.firstIndex(of: UInt8(ascii: "/")) {
            ip = String(cidr[..<slash])
        } else {
            ip = cidr
        }
    }

    /// `ip:port`, with brackets around IPv6 addresses as nginx expects.
    public func endpoint(port: Int) -> String {
        ip.utf8.contains(UInt8(ascii: ":")) ? "[\(ip)]:\(port)" : ip + ":" + String(port)
    }
}

/// The whole current spec of a service (events carry it whole, never as a delta).
public struct ServiceSpec: Sendable, Hashable {
    public var id: ServiceID
    /// The service name; queries name services by it.
    public var name: String
    /// All labels; only `com.docker.lb.*` ones matter for routing.
    public var labels: [String: String]
    /// Desired replica count, when replicated.
    public var replicas: Int?
    /// Attached networks, in spec order.
    public var networks: [NetworkID]
    /// The service's virtual IPs, one per attached network.
    public var vips: [NetworkAddress]
    /// The image, when given.
    public var image: String?
    /// Environment variables, when given.
    public var env: [String]?

    public init(id: ServiceID, name: String, labels: [String: String] = [:], replicas: Int? = nil,
                networks: [NetworkID] = [], vips: [NetworkAddress] = [], image: String? = nil, env: [String]? = nil) {
        self.id = id
        self.name = name
        self.labels = labels
        self.replicas = replicas
        self.networks = networks
        self.vips = vips
        self.image = image
        self.env = env
    }
}

/// Docker's task states, in lifecycle order.
public enum TaskState: String, Sendable, Hashable, CaseIterable {
    case new, pending, assigned, accepted, preparing, ready, starting, running
    case complete, shutdown, failed, rejected, remove, orphaned
    /// Older engines report `allocated` between `pending` and `assigned`.
    case allocated
}

/// A Swarm task (one container of a service) as the router sees it.
public struct SwarmTask: Sendable, Hashable {
    public var id: TaskID
    /// The log may not have described this service yet: tasks can arrive before their service.
    public var serviceID: ServiceID
    /// The replica slot, when given.
    public var slot: Int?
    /// The node it runs on, when given.
    public var nodeID: String?
    /// The state the task was last reported in (Docker's `Status.State`).
    public var state: TaskState
    /// The state the orchestrator wants it in.
    public var desiredState: TaskState
    /// Its addresses, one per attached network.
    public var addresses: [NetworkAddress]

    public init(id: TaskID, serviceID: ServiceID, slot: Int? = nil, nodeID: String? = nil,
                state: TaskState, desiredState: TaskState, addresses: [NetworkAddress] = []) {
        self.id = id
        self.serviceID = serviceID
        self.slot = slot
        self.nodeID = nodeID
        self.state = state
        self.desiredState = desiredState
        self.addresses = addresses
    }

    /// Whether the task receives traffic: it runs and is meant to keep running.
    ///
    /// A task leaves the upstreams as soon as its desired state leaves `running`,
    /// before it dies, as Swarm drains its VIP.
    public var isRoutable: Bool { state == .running && desiredState == .running }
}

/// A proxy's report about a configuration version it was given.
public struct ProxyReport: Sendable, Hashable {
    /// The service cluster the proxy serves (`""` is the default cluster).
    public var cluster: String
    /// The configuration version (a SHA-256 hex string).
    public var version: String
    /// The reporting proxy's id.
    public var proxy: String
    /// Why the proxy refused the config (`proxy.rejected`), or could not run it on its host (`proxy.failed`).
    public var error: String?

    public init(cluster: String, version: String, proxy: String, error: String? = nil) {
        self.cluster = cluster
        self.version = version
        self.proxy = proxy
        self.error = error
    }
}
