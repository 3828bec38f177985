import RouteLedgerCore

/// A Docker object version (`Version.Index`): Swarm's store raises it at every write of the object.
public typealias DockerVersionIndex = UInt64

/// A network from `GET /networks`, with what the ingest needs besides the routing model.
public struct DockerNetwork: Sendable, Hashable {
    /// The network as the routing model knows it (id, name, driver, ingress).
    public var network: Network
    /// `swarm` for cluster-wide networks; `local` networks (bridge, host, none) are no business of Swarm services.
    public var scope: String?
    /// When the network was created (`Created`).
    public var created: Timestamp?

    public init(network: Network, scope: String?, created: Timestamp?) {
        self.network = network
        self.scope = scope
        self.created = created
    }
}

/// A service from `GET /services`: its whole current spec in the routing model's terms, and its version.
public struct DockerService: Sendable, Hashable {
    /// The spec (labels, replicas, networks, VIPs, image, env).
    public var spec: ServiceSpec
    /// `Version.Index`.
    public var version: DockerVersionIndex
    /// `CreatedAt`.
    public var createdAt: Timestamp?
    /// `UpdatedAt`: when this version of the spec was written.
    public var updatedAt: Timestamp?

    public init(spec: ServiceSpec, version: DockerVersionIndex, createdAt: Timestamp?, updatedAt: Timestamp?) {
        self.spec = spec
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A task from `GET /tasks`: the task in the routing model's terms, and its version.
public struct DockerTask: Sendable, Hashable {
    /// The task (service, slot, node, state, desired state, addresses).
    public var task: SwarmTask
    /// `Version.Index`.
    public var version: DockerVersionIndex
    /// `UpdatedAt`: when the manager last wrote the task (a desired-state change moves it).
    public var updatedAt: Timestamp?
    /// `Status.Timestamp`: when the agent reported the current state.
    public var statusTimestamp: Timestamp?

    public init(task: SwarmTask, version: DockerVersionIndex, updatedAt: Timestamp?, statusTimestamp: Timestamp?) {
        self.task = task
        self.version = version
        self.updatedAt = updatedAt
        self.statusTimestamp = statusTimestamp
    }
}

/// One list round: every network, service and task the daemon reported, read in that order.
public struct DockerListing: Sendable, Hashable {
    /// Networks of every scope (the reconciler keeps the `swarm` ones).
    public var networks: [DockerNetwork]
    /// Every service listed, except those left out (`skipped`).
    public var services: [DockerService]
    /// Tasks, including the finished ones Swarm keeps as history.
    public var tasks: [DockerTask]
    /// What was left out because RouteLedger cannot represent it (an unknown task state, an address that is
    /// not an IP), one sentence each, naming the object.
    public var skipped: [String]

    public init(networks: [DockerNetwork] = [], services: [DockerService] = [], tasks: [DockerTask] = [], skipped: [String] = []) {
        self.networks = networks
        self.services = services
        self.tasks = tasks
        self.skipped = skipped
    }

    /// Whether a task of a listed service is on its way up (meant to run, not running yet) or down (running,
    /// or about to, while meant to stop): the manager will report it again soon, and Swarm sends no event
    /// when it does (`container start` comes before the task's `running` is written).
    public var hasTasksInTransition: Bool {
        let services = Set(services.map(\.spec.id))
        return tasks.contains { listed in
            let task = listed.task
            guard services.contains(task.serviceID), task.state.isBeforeRunning || task.state == .running else { return false }
            return (task.desiredState == .running) != (task.state == .running)
        }
    }
}

extension TaskState {
    /// A state a task passes through before it runs (`new` to `starting`).
    var isBeforeRunning: Bool {
        switch self {
        case .new, .pending, .allocated, .assigned, .accepted, .preparing, .ready, .starting: true
        case .running, .complete, .shutdown, .failed, .rejected, .remove, .orphaned: false
        }
    }
}

/// What `GET /version` says about the daemon.
public struct DockerVersionInfo: Sendable, Hashable {
    /// The engine version (`Version`, e.g. `27.0.1`).
    public var engineVersion: String?
    /// The highest API version the daemon speaks (`ApiVersion`).
    public var apiVersion: DockerAPIVersion
    /// The lowest API version the daemon accepts (`MinAPIVersion`), when given.
    public var minimumAPIVersion: DockerAPIVersion?

    public init(engineVersion: String?, apiVersion: DockerAPIVersion, minimumAPIVersion: DockerAPIVersion?) {
        self.engineVersion = engineVersion
        self.apiVersion = apiVersion
        self.minimumAPIVersion = minimumAPIVersion
    }
}

/// A Docker Engine API version, `major.minor` (`1.47`).
public struct DockerAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major number (1 for every released API).
    public var major: Int
    public var minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `1.47`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else { return nil }
        self.init(major, minor)
    }

    public static func < (a: DockerAPIVersion, b: DockerAPIVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }

    public var description: String { "\(major).\(minor)" }

    /// The oldest API this client speaks: services and tasks with `TaskTemplate.Networks` came with 1.25.
    public static let oldestSupported = DockerAPIVersion(1, 25)
    /// The newest API this client was checked against (Docker 27, the shapes of `data/docker/`).
    public static let newestKnown = DockerAPIVersion(1, 47)

    /// The version to speak with a daemon: the newest both sides know.
    ///
    /// A daemon whose oldest accepted version is newer than ``newestKnown`` gets that version (the fields the
    /// ingest reads have kept their shape since 1.25); the result's `tested` is then false, for a warning.
    /// - Throws: ``DockerError/unsupportedAPI(daemon:)`` for a daemon older than ``oldestSupported``.
    public static func negotiate(with daemon: DockerVersionInfo) throws -> (version: DockerAPIVersion, tested: Bool) {
        guard daemon.apiVersion >= oldestSupported else { throw DockerError.unsupportedAPI(daemon: daemon.apiVersion) }
        if let minimum = daemon.minimumAPIVersion, minimum > newestKnown { return (minimum, false) }
        return (min(daemon.apiVersion, newestKnown), true)
    }
}

/// One message of `GET /events`: which object did what. The ingest uses them only as hints to list early.
public struct DockerEventMessage: Sendable, Hashable {
    /// `Type`: `service`, `network`, `container`, `node`, …
    public var type: String
    /// `Action`: `create`, `update`, `remove`, `start`, `die`, …
    public var action: String
    /// `Actor.ID`: the object's id.
    public var actorID: String?
    /// `Actor.Attributes` (a container of a Swarm task carries `com.docker.swarm.service.id`).
    public var attributes: [String: String]

    public init(type: String, action: String, actorID: String?, attributes: [String: String] = [:]) {
        self.type = type
        self.action = action
        self.actorID = actorID
        self.attributes = attributes
    }

    /// Whether the message may mean that services, tasks or networks changed: any service or network event,
    /// and events of containers that belong to a Swarm task (other containers are no business of the ingest).
    public var concernsSwarm: Bool {
        switch type {
        case "service", "network": true
        case "container": attributes["com.docker.swarm.service.id"] != nil
        default: false
        }
    }
}
