import RouteLedgerJSON

/// What people call the things events refer to by id: a service by its name, a task as `service.slot` (as
/// `docker service ps` shows it; `service.node` for a global service's task), a network by its name. The
/// id is added, shortened, only where it disambiguates: when the book knows two things of one kind with
/// the same name (a task rescheduled into its slot, a service removed and created again).
///
/// A book only learns, never forgets: Swarm never reuses an id, so a name stays right for the events after
/// its owner is gone (`task demo.1 removed`). Start it from the state before the events you describe and
/// learn each event before describing it.
public struct NameBook: Sendable {
    private struct TaskPlace: Sendable, Hashable {
        var service: ServiceID
        var slot: Int?
        var node: String?
    }

    private var services: [ServiceID: String] = [:]
    private var tasks: [TaskID: TaskPlace] = [:]
    private var networks: [NetworkID: String] = [:]
    private var servicesNamed: [String: Int] = [:]
    private var tasksAt: [TaskPlace: Int] = [:]
    private var networksNamed: [String: Int] = [:]

    /// How many characters of an id disambiguate, as the Docker CLI shortens them.
    public static let shortID = 12

    /// A book that knows nothing yet: every lookup answers with the id.
    public init() {}

    /// A book that knows everything in `state`.
    public init(_ state: ClusterState) {
        for network in state.networks.values { learn(network) }
        for record in state.services.values { learn(record.spec.id, name: record.spec.name) }
        for task in state.tasks.values { learn(task) }
    }

    /// Learns the names `event` carries.
    public mutating func learn(_ event: ClusterEvent) {
        switch event {
        case .networkCreated(let network): learn(network)
        case .serviceCreated(let spec), .serviceUpdated(let spec): learn(spec.id, name: spec.name)
        case .taskUpdated(let task): learn(task)
        default: break
        }
    }

    /// The service's name, or its id when the book does not know it.
    public func service(_ id: ServiceID) -> String {
        guard let name = services[id] else { return id.rawValue }
        return (servicesNamed[name] ?? 0) > 1 ? "\(name) (\(Self.short(id.rawValue)))" : name
    }

    /// The task as `service.slot`, or its id when the book does not know it.
    public func task(_ id: TaskID) -> String {
        guard let place = tasks[id] else { return id.rawValue }
        let name = Self.name(service: services[place.service] ?? place.service.rawValue, slot: place.slot, node: place.node, id: id)
        return (tasksAt[place] ?? 0) > 1 && (place.slot != nil || place.node != nil) ? "\(name) (\(Self.short(id.rawValue)))" : name
    }

    /// `service.slot` for one task on its own (no other task to tell it from), `service` being the name of
    /// its service when known.
    public static func name(of task: SwarmTask, service: String?) -> String {
        name(service: service ?? task.serviceID.rawValue, slot: task.slot, node: task.nodeID, id: task.id)
    }

    private static func name(service: String, slot: Int?, node: String?, id: TaskID) -> String {
        if let slot { return "\(service).\(slot)" }
        if let node { return "\(service).\(node)" }
        return "\(service) task \(short(id.rawValue))"
    }

    /// The network's name, or its id when the book does not know it.
    public func network(_ id: NetworkID) -> String {
        guard let name = networks[id] else { return id.rawValue }
        return (networksNamed[name] ?? 0) > 1 ? "\(name) (\(Self.short(id.rawValue)))" : name
    }

    /// Every id `event` names, with the name the book gives it (ids it does not know are left out).
    public func names(in event: ClusterEvent) -> [(id: String, name: String)] {
        var found: [(id: String, name: String)] = []
        func service(_ id: ServiceID) { if services[id] != nil { found.append((id.rawValue, self.service(id))) } }
        func task(_ id: TaskID) { if tasks[id] != nil { found.append((id.rawValue, self.task(id))) } }
        func network(_ id: NetworkID) {
            if networks[id] != nil, !found.contains(where: { $0.id == id.rawValue }) { found.append((id.rawValue, self.network(id))) }
        }
        switch event {
        case .networkCreated(let value): network(value.id)
        case .networkRemoved(let id): network(id)
        case .serviceCreated(let spec), .serviceUpdated(let spec):
            service(spec.id)
            for id in spec.networks { network(id) }
        case .serviceRemoved(let id): service(id)
        case .taskUpdated(let value):
            task(value.id)
            service(value.serviceID)
            for address in value.addresses { network(address.networkID) }
        case .taskRemoved(let id):
            task(id)
            if let place = tasks[id] { service(place.service) }
        case .proxyApplied, .proxyRejected, .proxyFailed, .configChanged: break
        }
        return found
    }

    /// `{id: name}` for `names(in:)`: what the JSON outputs add beside the ids they keep.
    public func json(for event: ClusterEvent) -> JSONValue {
        .object(names(in: event).map { JSONMember($0.id, .string($0.name)) })
    }

    /// `{id: name}` for the networks among `ids` the book knows.
    public func json(networks ids: [NetworkID]) -> JSONValue {
        .object(ids.filter { networks[$0] != nil }.map { JSONMember($0.rawValue, .string(network($0))) })
    }

    private mutating func learn(_ network: Network) {
        guard networks[network.id] == nil else { return }
        networks[network.id] = network.name
        networksNamed[network.name, default: 0] += 1
    }

    private mutating func learn(_ id: ServiceID, name: String) {
        if let known = services[id] {
            guard known != name else { return }
            servicesNamed[known, default: 1] -= 1
        }
        services[id] = name
        servicesNamed[name, default: 0] += 1
    }

    private mutating func learn(_ task: SwarmTask) {
        let place = TaskPlace(service: task.serviceID, slot: task.slot, node: task.slot == nil ? task.nodeID : nil)
        if let known = tasks[task.id] {
            guard known != place else { return }
            tasksAt[known, default: 1] -= 1
        }
        tasks[task.id] = place
        tasksAt[place, default: 0] += 1
    }

    private static func short(_ id: String) -> String { String(id.prefix(shortID)) }
}
