/// An upstream target of one service before shares are known.
struct UpstreamTarget: Sendable, Hashable, Comparable {
    var address: String
    var task: TaskID?

    static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : (lhs.task?.rawValue ?? "") < (rhs.task?.rawValue ?? "")
    }
}

/// What one service contributes to the routing now: its routing in force, its route network, its upstreams
/// and its diagnostics.
///
/// Two parts change for different reasons: everything but `upstreams` depends on the service spec and the
/// networks (service and network events); `upstreams` also depends on its tasks (task events), and is the
/// only part a task event recomputes.
struct ServiceRoute: Sendable, Hashable {
    var id: ServiceID
    var name: String
    var createdAt: Seq
    var networks: [NetworkID]
    var routing: ServiceRouting?
    /// The frontends the routing puts the service on (kept: every task event reports them).
    var frontendKeys: [FrontendKey] = []
    /// The service cluster whose default backend the service can be.
    var defaultBackendCluster: String?
    /// The network whose addresses are used; nil when none can be used.
    var routeNetwork: NetworkID?
    /// The VIP on the route network (vip mode).
    var vip: NetworkAddress?
    /// What its labels and networks give the operator to know (the spec's part; see ``reportedDiagnostics``).
    var diagnostics: [Diagnostic]
    var upstreams: [UpstreamTarget] = []
    /// How many of its tasks are routable (running, desired running). In vip mode it never changes the
    /// upstreams, only whether the "no running task" warning is shown.
    var routableTasks = 0

    /// A network the proxy must join because this service sends it traffic, in its service cluster.
    struct ProxyNetwork: Hashable, Sendable {
        var cluster: String
        var network: NetworkID
    }

    /// The network the proxy must join for this service: its route network while it has upstreams.
    var proxyNetwork: ProxyNetwork? {
        guard let routing, let routeNetwork, !upstreams.isEmpty else { return nil }
        return ProxyNetwork(cluster: routing.cluster, network: routeNetwork)
    }

    /// Orders services on a frontend: oldest first.
    static func isOlder(_ lhs: ServiceRoute, _ rhs: ServiceRoute) -> Bool {
        lhs.createdAt != rhs.createdAt ? lhs.createdAt < rhs.createdAt : lhs.id.rawValue < rhs.id.rawValue
    }

    /// Resolves the route of `record` in `state`.
    init(_ record: ClusterState.ServiceRecord, in state: ClusterState) {
        let spec = record.spec
        id = spec.id
        name = spec.name
        createdAt = record.createdAt
        networks = spec.networks
        routing = record.routing
        frontendKeys = record.routing?.frontendKeys ?? []
        defaultBackendCluster = record.routing.flatMap { $0.isDefaultBackend ? $0.cluster : nil }
        diagnostics = Self.labelDiagnostics(record)
        if let routing {
            routeNetwork = resolveNetwork(spec, routing, state)
            if routing.mode == .vip, let network = routeNetwork {
                vip = spec.vips.first { $0.networkID == network }
                if vip == nil {
                    diagnostics.append(Diagnostic(.warning, service: name, label: LabelParser.prefix + "backend_mode",
                                                  message: "vip mode, but the service has no VIP on network \(state.networks[network]?.name ?? network.rawValue); no upstreams"))
                }
            }
        }
        // A service whose labels never were valid has no routing: its own label is the best guess.
        let cluster = routing?.cluster ?? spec.labels[LabelParser.prefix + "service_cluster"]?.trimmed ?? ""
        for i in diagnostics.indices { diagnostics[i].cluster = cluster }
        recomputeUpstreams(in: state)
    }

    /// Recomputes the upstreams from all the service's tasks.
    ///
    /// In vip mode the upstream is the VIP, from the service's publication to its removal (the seed: "a
    /// persistent endpoint that exists from service creation to service deletion"): tasks only count.
    mutating func recomputeUpstreams(in state: ClusterState) {
        upstreams = []
        routableTasks = 0
        guard let routing, routeNetwork != nil else { return }
        for taskID in state.taskIDsByService[id] ?? [] {
            guard let task = state.tasks[taskID], task.isRoutable else { continue }
            routableTasks += 1
            if routing.mode == .task, let target = target(for: task) { upstreams.append(target) }
        }
        switch routing.mode {
        case .task: upstreams.sort()
        case .vip: if let vip { upstreams = [UpstreamTarget(address: vip.endpoint(port: routing.port), task: nil)] }
        }
    }

    /// What a task's change did to the service's upstreams, with what the routing fold needs of the
    /// service to report it.
    struct UpstreamUpdate {
        var move: RoutingChange.UpstreamMove
        var frontendKeys: [FrontendKey]
        var defaultBackendCluster: String?
        var proxyNetworkBefore: ProxyNetwork?
        var proxyNetworkAfter: ProxyNetwork?
    }

    /// Applies one task's change (`old` → `new`, either nil when absent) without looking at the other tasks.
    ///
    /// - Returns: the upstream that went and the one that came when the upstreams changed (then the
    ///   service's frontends are touched); nil when they did not, as always in vip mode.
    mutating func updateUpstreams(task id: TaskID, from old: SwarmTask?, to new: SwarmTask?) -> UpstreamUpdate? {
        let networkBefore = proxyNetwork
        guard let (removed, added) = moveUpstream(task: id, from: old, to: new) else { return nil }
        return UpstreamUpdate(move: RoutingChange.UpstreamMove(removed: removed, added: added, maxFails: routing?.maxFails,
                                                               failTimeout: routing?.failTimeout),
                              frontendKeys: frontendKeys, defaultBackendCluster: defaultBackendCluster,
                              proxyNetworkBefore: networkBefore, proxyNetworkAfter: proxyNetwork)
    }

    /// The upstream that went and the one that came (either nil) for one task's change; nil when the
    /// upstreams did not change.
    private mutating func moveUpstream(task id: TaskID, from old: SwarmTask?, to new: SwarmTask?) -> (UpstreamTarget?, UpstreamTarget?)? {
        guard let routing, routeNetwork != nil else { return nil }
        let wasRoutable = old?.isRoutable == true
        let isRoutable = new?.isRoutable == true
        routableTasks += (isRoutable ? 1 : 0) - (wasRoutable ? 1 : 0)
        switch routing.mode {
        case .task:
            let before = wasRoutable ? old.flatMap(target(for:)) : nil
            let after = isRoutable ? new.flatMap(target(for:)) : nil
            guard before != after else { return nil }
            if let before, let index = upstreams.firstIndex(of: before) { upstreams.remove(at: index) }
            if let after {
                let index = upstreams.firstIndex { after < $0 } ?? upstreams.endIndex
                upstreams.insert(after, at: index)
            }
            return (before, after)
        case .vip:
            return nil
        }
    }

    /// Every diagnostic of the service now: its ``diagnostics``, and for a vip-mode service whose VIP is
    /// routed while no task runs behind it, a warning (for the operator, never part of the proxy view).
    var reportedDiagnostics: [Diagnostic] {
        guard let routing, routing.mode == .vip, !upstreams.isEmpty, routableTasks == 0 else { return diagnostics }
        return diagnostics + [Diagnostic(.warning, service: name, label: LabelParser.prefix + "backend_mode",
                                         cluster: routing.cluster, message: "no running task: its VIP answers nothing")]
    }

    /// The task-mode upstream of a task: its address on the route network.
    private func target(for task: SwarmTask) -> UpstreamTarget? {
        guard let routing, let network = routeNetwork else { return nil }
        for address in task.addresses where address.networkID == network {
            return UpstreamTarget(address: address.endpoint(port: routing.port), task: task.id)
        }
        return nil
    }

    /// The route network: named by the `network` label, or the only non-ingress network.
    private mutating func resolveNetwork(_ spec: ServiceSpec, _ routing: ServiceRouting, _ state: ClusterState) -> NetworkID? {
        let label = LabelParser.prefix + "network"
        if let wanted = routing.networkName {
            if let id = spec.networks.first(where: { state.networks[$0]?.name == wanted }) {
                if state.networks[id]?.ingress == true {
                    diagnostics.append(Diagnostic(.error, service: name, label: label,
                                                  message: "network \(wanted) is the ingress network, which is never used for routing"))
                    return nil
                }
                return id
            }
            diagnostics.append(Diagnostic(.error, service: name, label: label,
                                          message: "network \(wanted) is not attached to the service; no upstreams"))
            return nil
        }
        let candidates = spec.networks.filter { state.networks[$0]?.ingress != true }
        guard let first = candidates.first else {
            diagnostics.append(Diagnostic(.error, service: name, label: label,
                                          message: "the service has no non-ingress network; no upstreams"))
            return nil
        }
        if candidates.count > 1 {
            let names = candidates.map { state.networks[$0]?.name ?? $0.rawValue }
            diagnostics.append(Diagnostic(.warning, service: name, label: label,
                                          message: "the service is on several networks (\(names.joined(separator: ", "))); using \(names[0]); set \(label) to choose"))
        }
        return first
    }

    private static func labelDiagnostics(_ record: ClusterState.ServiceRecord) -> [Diagnostic] {
        switch record.labels {
        case .notPublished:
            return []
        case .published(_, let warnings):
            return warnings
        case .invalid(let errors, let warnings):
            let consequence = record.routing == nil ? "service not published" : "last valid routing kept"
            return errors.map { error in
                var error = error
                error.message += "; \(consequence)"
                return error
            } + warnings
        }
    }
}
