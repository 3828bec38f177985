/// The cluster as the events describe it: networks, services and tasks. Built by folding events in log order.
///
/// The fold is total: any sequence of valid events folds, whatever order the Docker API gave them in
/// (a task may arrive before its service; removing something unknown does nothing).
public struct ClusterState: Sendable, Hashable {
    /// A service with what the fold remembers about it.
    public struct ServiceRecord: Sendable, Hashable {
        /// The current spec.
        public var spec: ServiceSpec
        /// The position of the event that first introduced the service; older services win shared options.
        public var createdAt: Seq
        /// What the current labels say.
        public var labels: LabelParse
        /// The routing in force: from the last valid labels (an update that breaks the labels keeps it).
        public var routing: ServiceRouting?
    }

    /// Known networks.
    public private(set) var networks: [NetworkID: Network] = [:]
    /// Known services.
    public private(set) var services: [ServiceID: ServiceRecord] = [:]
    /// Known tasks, including tasks whose service has not arrived yet.
    public private(set) var tasks: [TaskID: SwarmTask] = [:]
    /// Task ids by the service they belong to.
    public private(set) var taskIDsByService: [ServiceID: Set<TaskID>] = [:]
    /// The position of the last event folded (0 for the empty state).
    public private(set) var seq: Seq = 0

    /// The empty cluster.
    public init() {}

    /// The tasks of one service.
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
            if let old = tasks.updateValue(task, forKey: task.id), old.serviceID != task.serviceID {
                taskIDsByService[old.serviceID]?.remove(task.id)
                if taskIDsByService[old.serviceID]?.isEmpty == true { taskIDsByService[old.serviceID] = nil }
            }
            taskIDsByService[task.serviceID, default: []].insert(task.id)
        case .taskRemoved(let id):
            if let old = tasks.removeValue(forKey: id) {
                taskIDsByService[old.serviceID]?.remove(id)
                if taskIDsByService[old.serviceID]?.isEmpty == true { taskIDsByService[old.serviceID] = nil }
            }
        case .proxyApplied, .proxyRejected:
            break
        }
    }

    /// The state after one more event.
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

    private mutating func upsert(_ spec: ServiceSpec, seq: Seq) {
        guard var record = services[spec.id] else {
            let labels = LabelParser.parse(spec.labels, service: spec.name)
            services[spec.id] = ServiceRecord(spec: spec, createdAt: seq, labels: labels, routing: labels.routing)
            return
        }
        // Most updates (scaling, images, env) leave the labels alone: skip re-parsing them.
        if record.spec.labels != spec.labels || record.spec.name != spec.name {
            record.labels = LabelParser.parse(spec.labels, service: spec.name)
            switch record.labels {
            case .published(let routing, _): record.routing = routing
            case .notPublished: record.routing = nil
            case .invalid: break  // keep the last valid routing
            }
        }
        record.spec = spec
        services[spec.id] = record
    }
}

extension LabelParse {
    /// The routing when the labels are valid and publish the service.
    public var routing: ServiceRouting? {
        if case .published(let routing, _) = self { return routing }
        return nil
    }
}
