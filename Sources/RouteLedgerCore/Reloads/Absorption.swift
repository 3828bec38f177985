/// Why an event changed nothing a proxy sees, in words an operator understands.
enum Absorption {
    /// What the explanation needs from before the event: the one task or service it concerns.
    struct Before {
        var task: SwarmTask?
        var service: ClusterState.ServiceRecord?
        var network: Network?

        init(_ event: ClusterEvent, routing: RoutingProjection) {
            switch event {
            case .taskUpdated(let task): self.task = routing.state.tasks[task.id]
            case .taskRemoved(let id): task = routing.state.tasks[id]
            case .serviceCreated(let spec), .serviceUpdated(let spec): service = routing.state.services[spec.id]
            case .serviceRemoved(let id): service = routing.state.services[id]
            case .networkRemoved(let id): network = routing.state.networks[id]
            default: break
            }
        }
    }

    static func reason(_ event: ClusterEvent, before: Before, routing: RoutingProjection) -> String {
        let state = routing.state
        switch event {
        case .taskUpdated(let task):
            return taskReason(task, before: before.task, state: state, routing: routing)
        case .taskRemoved(let id):
            guard let old = before.task else { return "task \(id) is not known" }
            if let vip = vipReason(old, state: state, routing: routing) { return vip }
            if !old.isRoutable { return "task \(name(old, state)) was no longer an upstream (\(describe(old)))" }
            return serviceReason(old, state: state, routing: routing) ?? "the proxy view is unchanged"
        case .serviceCreated(let spec):
            return publicationReason(spec, state: state, routing: routing)
        case .serviceUpdated(let spec):
            guard let old = before.service else { return publicationReason(spec, state: state, routing: routing) }
            return updateReason(old: old, spec: spec, state: state, routing: routing)
        case .serviceRemoved(let id):
            guard let old = before.service else { return "service \(id) is not known" }
            guard old.routing != nil else { return "service \(old.spec.name) was not published" }
            return "service \(old.spec.name) had no upstream"
        case .networkCreated(let network):
            if network.ingress { return "network \(network.name) is the ingress network, never used for routing" }
            return "no published service with upstreams routes through network \(network.name)"
        case .networkRemoved(let id):
            return "no published service with upstreams routed through network \(before.network?.name ?? id.rawValue)"
        case .proxyApplied, .proxyRejected, .proxyFailed:
            return "a proxy report: it records what a proxy ran and changes no routing"
        case .configChanged(let settings):
            return "reload settings from here on: \(settings); reloads before it keep their ids"
        }
    }

    private static func taskReason(_ task: SwarmTask, before old: SwarmTask?, state: ClusterState,
                                   routing: RoutingProjection) -> String {
        // In vip mode no task event reaches the proxy, the first and the last one included.
        if let vip = vipReason(task, state: state, routing: routing) { return vip }
        if !task.isRoutable && old?.isRoutable != true {
            return "task \(name(task, state)) is not running (\(describe(task)))"
        }
        if let old, old.isRoutable, task.isRoutable, old.addresses == task.addresses {
            return "task \(name(task, state)) still runs at the same address; only its status details changed"
        }
        return serviceReason(task, state: state, routing: routing) ?? "the proxy view is unchanged"
    }

    /// Why a change of one of the service's tasks does not reach the proxy, when the service explains it.
    private static func serviceReason(_ task: SwarmTask, state: ClusterState, routing: RoutingProjection) -> String? {
        guard let record = state.services[task.serviceID] else {
            return "service \(task.serviceID) of task \(task.id) is not known yet; its tasks count once it is created"
        }
        let name = record.spec.name
        guard let config = record.routing else { return "service \(name) is not published (\(unpublished(record)))" }
        guard let route = routing.route(task.serviceID), let network = route.routeNetwork else {
            return "service \(name) has no network to route through"
        }
        switch config.mode {
        case .vip:
            // With a VIP, the callers gave ``vipReason`` already.
            return "\(name) is in vip mode, but has no VIP on network \(state.networks[network]?.name ?? network.rawValue)"
        case .task:
            if let task = state.tasks[task.id], task.isRoutable, !task.addresses.contains(where: { $0.networkID == network }) {
                return "task \(Self.name(task, state)) has no address on network \(state.networks[network]?.name ?? network.rawValue)"
            }
            return nil
        }
    }

    /// Why a task of a vip-mode service with a routed VIP changes nothing; nil for any other service.
    private static func vipReason(_ task: SwarmTask, state: ClusterState, routing: RoutingProjection) -> String? {
        guard let route = routing.route(task.serviceID), let config = route.routing, config.mode == .vip, let vip = route.vip,
              route.routeNetwork != nil else { return nil }
        return "\(route.name) is in vip mode: task \(name(task, state)) leaves upstream \(vip.endpoint(port: config.port)) unchanged"
    }

    /// `service.slot`, the task as `docker service ps` names it, with its short id when another task the
    /// state knows has that name too (its predecessor in the slot, still listed).
    private static func name(_ task: SwarmTask, _ state: ClusterState) -> String {
        let name = NameBook.name(of: task, service: state.services[task.serviceID]?.spec.name)
        guard task.slot != nil || task.nodeID != nil else { return name }
        let twin = state.taskIDsByService[task.serviceID]?.contains { id in
            guard id != task.id, let other = state.tasks[id] else { return false }
            return task.slot != nil ? other.slot == task.slot : other.slot == nil && other.nodeID == task.nodeID
        } ?? false
        return twin ? "\(name) (\(task.id.rawValue.prefix(NameBook.shortID)))" : name
    }

    private static func publicationReason(_ spec: ServiceSpec, state: ClusterState, routing: RoutingProjection) -> String {
        guard let record = state.services[spec.id] else { return "service \(spec.name) is not known" }
        guard record.routing != nil else { return "service \(spec.name) is not published (\(unpublished(record)))" }
        guard let route = routing.route(spec.id), route.routeNetwork != nil else {
            return "service \(spec.name) has no network to route through"
        }
        if route.upstreams.isEmpty {
            return route.routing?.mode == .vip ? "service \(spec.name) is in vip mode, but has no VIP on its route network"
                                               : "service \(spec.name) has no running task yet"
        }
        return "the proxy view is unchanged"
    }

    private static func updateReason(old: ClusterState.ServiceRecord, spec: ServiceSpec, state: ClusterState,
                                     routing: RoutingProjection) -> String {
        guard let record = state.services[spec.id] else { return "service \(spec.name) is not known" }
        let name = spec.name
        if case .invalid(let errors, _) = record.labels, record.spec.labels != old.spec.labels {
            let labels = errors.compactMap(\.label).map { label -> String in
                let short = label.hasPrefix(LabelParser.prefix) ? String(label.dropFirst(LabelParser.prefix.count)) : label
                return "\(short)=\(spec.labels[label] ?? "")"
            }
            let verb = labels.count == 1 ? "is" : "are"
            let kept = record.routing == nil ? "the service stays unpublished" : "last valid routing kept"
            return "label \(labels.joined(separator: ", ")) \(verb) invalid: \(kept)"
        }
        guard let config = record.routing else { return "service \(name) is not published (\(unpublished(record)))" }
        var changes: [String] = []
        if old.spec.replicas != spec.replicas {
            changes.append("replicas \(old.spec.replicas.map(String.init) ?? "-")→\(spec.replicas.map(String.init) ?? "-")")
        }
        if old.spec.image != spec.image { changes.append("image \(spec.image ?? "-")") }
        if old.spec.env != spec.env { changes.append("env") }
        let otherLabels = { (labels: [String: String]) in labels.filter { !$0.key.hasPrefix(LabelParser.prefix) } }
        if otherLabels(old.spec.labels) != otherLabels(spec.labels) { changes.append("non-lb labels") }
        if old.routing == config && old.spec.labels != spec.labels, case .published(_, let warnings) = record.labels {
            changes += warnings.compactMap(\.label).map { label in
                let short = label.hasPrefix(LabelParser.prefix) ? String(label.dropFirst(LabelParser.prefix.count)) : label
                return "\(short) (ignored: \(warnings.first { $0.label == label }!.message))"
            }
        }
        let what = changes.isEmpty ? "the update" : changes.joined(separator: ", ")
        if config.mode == .vip, let route = routing.route(spec.id), let vip = route.vip, !route.upstreams.isEmpty {
            return "\(name) is in vip mode: \(what) \(changes.count == 1 && !changes[0].hasPrefix("replicas") ? "leaves" : "leave") upstream \(vip.endpoint(port: config.port)) unchanged"
        }
        return "\(name): \(what) \(changes.count == 1 ? "changes" : "change") no upstream (the proxy sees its tasks, not its spec)"
    }

    private static func unpublished(_ record: ClusterState.ServiceRecord) -> String {
        switch record.labels {
        case .invalid(let errors, _): return "invalid labels: " + errors.map(\.message).joined(separator: "; ")
        case .notPublished:
            return record.spec.labels.keys.contains { $0.hasPrefix(LabelParser.prefix) }
                ? "no hosts and not a default backend" : "no com.docker.lb labels"
        case .published: return "labels valid"
        }
    }

    private static func describe(_ task: SwarmTask) -> String {
        task.state == task.desiredState ? task.state.rawValue : "\(task.state.rawValue), desired \(task.desiredState.rawValue)"
    }
}
