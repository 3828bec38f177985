/// The cluster as the events describe it: networks, services and tasks. Built by folding events in log order.
///
/// The fold is total: any sequence of valid events folds, whatever order the Docker API gave them in
/// (a task may arrive before its service; removing something unknown does nothing).
public struct ClusterState: Sendable, Hashable {
    /// A service with what the fold remembers about it.
    public struct ServiceRecord: Sendable, Hashable {
        /// The spec of the latest create or update, even one whose labels are invalid (`routing` then stays older).
        public var spec: ServiceSpec
        /// The position of the event that first introduced the service; older services win shared options.
        public var createdAt: Seq
        /// What the current labels say.
        public var labels: LabelParse
        /// The routing in force: from the last valid labels (an update that breaks the labels keeps it).
        public var routing: ServiceRouting?
        /// The labels `routing` was parsed from (what a snapshot keeps to restore it).
        public var routingLabels: [String: String]?
    }

    /// Networks created and not removed since.
    public internal(set) var networks: [NetworkID: Network] = [:]
    /// Services created or updated and not removed since.
    public internal(set) var services: [ServiceID: ServiceRecord] = [:]
    /// Known tasks, including tasks whose service has not arrived yet.
    public private(set) var tasks: [TaskID: SwarmTask] = [:]
    /// Task ids by the service they belong to.
    public private(set) var taskIDsByService: [ServiceID: Set<TaskID>] = [:]
    /// The position of the last event folded (0 for the empty state).
    public internal(set) var seq: Seq = 0

    public init() {}

    /// In no particular order; includes tasks that arrived before their service.
    public func tasks(of service: ServiceID) -> [SwarmTask] {
        guard let ids = taskIDsByService[service] else { return [] }
        return ids.compactMap { tasks[$0] }
    }

    /// Folds one event at position `seq`.
    public mutating func apply(_ event: ClusterEvent, seq: Seq) {
        self.seq = seq
        switch event {
        case .networkCreated(let network):
            networks[network.id] = network
        case .networkRemoved(let id):
            networks[id] = nil
        case .serviceCreated(let spec), .serviceUpdated(let spec):
            upsert(spec, seq: seq)
        case .serviceRemoved(let id):
            services[id] = nil
            // Tasks of a removed service are never routed again; forget them.
            if let ids = taskIDsByService.removeValue(forKey: id) {
                for taskID in ids { tasks[taskID] = nil }
            }
        case .taskUpdated(let task):
            updateTask(task)
        case .taskRemoved(let id):
            removeTask(id)
        case .proxyApplied, .proxyRejected, .proxyFailed, .configChanged:
            break
        }
    }

    /// Stores a task; returns the version it replaced.
    @discardableResult
    mutating func updateTask(_ task: SwarmTask) -> SwarmTask? {
        let old = tasks.updateValue(task, forKey: task.id)
        if let old, old.serviceID == task.serviceID { return old }
        if let old { forget(task.id, of: old.serviceID) }
        taskIDsByService[task.serviceID, default: []].insert(task.id)
        return old
    }

    /// Forgets a task; returns it.
    @discardableResult
    mutating func removeTask(_ id: TaskID) -> SwarmTask? {
        guard let old = tasks.removeValue(forKey: id) else { return nil }
        forget(id, of: old.serviceID)
        return old
    }

    private mutating func forget(_ task: TaskID, of service: ServiceID) {
        guard let index = taskIDsByService.index(forKey: service) else { return }
        taskIDsByService.values[index].remove(task)
        if taskIDsByService.values[index].isEmpty { taskIDsByService.remove(at: index) }
    }

    public func applying(_ event: ClusterEvent, seq: Seq) -> ClusterState {
        var copy = self
        copy.apply(event, seq: seq)
        return copy
    }

    /// Folds events from the empty state.
    public static func fold(_ events: some Sequence<RecordedEvent>) -> ClusterState {
        var state = ClusterState()
        for event in events { state.apply(event.event, seq: event.seq) }
        return state
    }

    /// Stores a service spec (creating the service when it is new).
    ///
    /// - Returns: whether anything routing depends on changed: name, networks, VIPs or labels. Replicas,
    ///   image and env changes return false.
    @discardableResult
    mutating func upsert(_ spec: ServiceSpec, seq: Seq) -> Bool {
        guard let index = services.index(forKey: spec.id) else {
            let labels = LabelParser.parse(spec.labels, service: spec.name)
            services[spec.id] = ServiceRecord(spec: spec, createdAt: seq, labels: labels, routing: labels.routing,
                                              routingLabels: labels.routing == nil ? nil : spec.labels)
            return true
        }
        // Mutate in place: the record is not copied out of the dictionary.
        let old = services.values[index].spec
        let labelsChanged = old.labels != spec.labels || old.name != spec.name
        if labelsChanged {
            let labels = LabelParser.parse(spec.labels, service: spec.name)
            services.values[index].labels = labels
            switch labels {
            case .published(let routing, _):
                services.values[index].routing = routing
                services.values[index].routingLabels = spec.labels
            case .notPublished:
                services.values[index].routing = nil
                services.values[index].routingLabels = nil
            case .invalid: break  // keep the last valid routing
            }
        }
        services.values[index].spec = spec
        return labelsChanged || old.networks != spec.networks || old.vips != spec.vips
    }
}

extension LabelParse {
    /// The routing when the labels are valid and publish the service.
    public var routing: ServiceRouting? {
        if case .published(let routing, _) = self { return routing }
        return nil
    }
}
