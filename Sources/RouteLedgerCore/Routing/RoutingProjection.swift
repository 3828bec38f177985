/// What one event changed in the routing: the frontends and default backends to look at again.
public struct RoutingChange: Sendable, Hashable {
    /// Frontends whose services, options or upstreams may have changed, without repeats. An array: an
    /// event touches one or two, and a set would cost more to build than to search.
    public var frontends: [FrontendKey] = []
    /// Service clusters whose default backend may have changed.
    public var defaultBackendClusters: Set<String> = []
    /// Service clusters whose set of proxy networks changed.
    public var networkClusters: Set<String> = []
    /// When all the event did to `frontends` is move one upstream of one service: the one that left and the
    /// one that arrived. The reload projection patches the frontends' servers with it instead of assembling
    /// them again. Nil: assemble them.
    public var upstreamMove: UpstreamMove?
    /// How many times frontends were touched (a move is only the whole story when it is the only touch).
    private var touches = 0
    /// Whether nothing routing-relevant was touched.
    public var isEmpty: Bool { frontends.isEmpty && defaultBackendClusters.isEmpty && networkClusters.isEmpty }

    /// One task's change to its service's upstreams, as the routing has it (the targets move in here
    /// without a copy: the routing fold pays nothing for the reload projection's shortcut).
    public struct UpstreamMove: Sendable, Hashable {
        let removed: UpstreamTarget?
        let added: UpstreamTarget?
        /// The service's server options, which each of its server lines carries.
        let maxFails: Int?
        let failTimeout: String?

        /// The server lines it takes out of and puts into each frontend of the service.
        var servers: ServerMove {
            ServerMove(removed: removed.map { ProxyServer(address: $0.address, maxFails: maxFails, failTimeout: failTimeout) },
                       added: added.map { ProxyServer(address: $0.address, maxFails: maxFails, failTimeout: failTimeout) })
        }
    }

    /// The server lines one task's change removes from and adds to each frontend of its service (either nil).
    public struct ServerMove: Sendable, Hashable {
        public var removed: ProxyServer?
        public var added: ProxyServer?
    }

    /// Every service cluster touched, sorted.
    public var clusterList: [String] {
        var list: [String] = []
        // Usually one cluster: a linear check beats building a set.
        for cluster in frontends.lazy.map(\.cluster) where !list.contains(cluster) { list.append(cluster) }
        for cluster in defaultBackendClusters where !list.contains(cluster) { list.append(cluster) }
        for cluster in networkClusters where !list.contains(cluster) { list.append(cluster) }
        if list.count > 1 { list.sort() }
        return list
    }

    /// No change.
    public init() {}

    /// Adds frontends, skipping ones already there; their assembly may have changed in any way.
    mutating func touch(_ keys: [FrontendKey]) {
        touches += 1
        upstreamMove = nil
        for key in keys where !frontends.contains(key) { frontends.append(key) }
    }

    /// Adds frontends whose servers changed by `move` alone.
    mutating func touch(_ keys: [FrontendKey], by move: consuming UpstreamMove) {
        touch(keys)
        if touches == 1 { upstreamMove = move }
    }

    /// Every service cluster touched when there is just one, without building a list; nil otherwise.
    var onlyCluster: String? {
        guard let first = frontends.first?.cluster ?? defaultBackendClusters.first ?? networkClusters.first else { return nil }
        for key in frontends where key.cluster != first { return nil }
        for cluster in defaultBackendClusters where cluster != first { return nil }
        for cluster in networkClusters where cluster != first { return nil }
        return first
    }
}

/// The routing, folded incrementally: one event re-resolves only the services it concerns
/// and reports the frontends it touched, so a cluster of 10,000 services is never rescanned per event.
///
/// At any point `view` equals `RoutingView(state: state)`, the from-scratch computation.
public struct RoutingProjection: Sendable {
    /// The cluster after the events folded so far; `apply` keeps it and the routing in step.
    public internal(set) var state = ClusterState()
    private var routes: [ServiceID: ServiceRoute] = [:]
    private var members: [FrontendKey: [ServiceID]] = [:]
    private var defaultCandidates: [String: [ServiceID]] = [:]
    private var servicesByNetwork: [NetworkID: Set<ServiceID>] = [:]
    /// Per service cluster and network: how many services with upstreams route through it.
    private var proxyNetworkCounts: [String: [NetworkID: Int]] = [:]

    public init() {}

    /// Folds a recorded event.
    @discardableResult
    public mutating func apply(_ event: RecordedEvent) -> RoutingChange {
        apply(event.event, seq: event.seq)
    }

    /// Folds `event` at position `seq` and reports what it touched.
    @discardableResult
    public mutating func apply(_ event: ClusterEvent, seq: Seq) -> RoutingChange {
        var change = RoutingChange()
        switch event {
        case .networkCreated(let network):
            state.apply(event, seq: seq)
            for id in servicesByNetwork[network.id] ?? [] { refresh(id, into: &change) }
        case .networkRemoved(let id):
            state.apply(event, seq: seq)
            for service in servicesByNetwork[id] ?? [] { refresh(service, into: &change) }
        case .serviceCreated(let spec), .serviceUpdated(let spec):
            state.seq = seq
            if state.upsert(spec, seq: seq) { refresh(spec.id, into: &change) }
        case .serviceRemoved(let id):
            state.apply(event, seq: seq)
            refresh(id, into: &change)
        case .taskUpdated(let task):
            state.seq = seq
            let old = state.updateTask(task)
            if let old, old.serviceID != task.serviceID {
                updateUpstreams(old.serviceID, task: task.id, from: old, to: nil, into: &change)
                updateUpstreams(task.serviceID, task: task.id, from: nil, to: task, into: &change)
            } else if old?.isRoutable != task.isRoutable || (task.isRoutable && old?.addresses != task.addresses) {
                // Routing sees a task only through whether it is routable and where: anything else is absorbed.
                updateUpstreams(task.serviceID, task: task.id, from: old, to: task, into: &change)
            }
        case .taskRemoved(let id):
            state.seq = seq
            if let old = state.removeTask(id), old.isRoutable {
                updateUpstreams(old.serviceID, task: id, from: old, to: nil, into: &change)
            }
        case .proxyApplied, .proxyRejected, .proxyFailed, .configChanged:
            state.apply(event, seq: seq)
        }
        return change
    }

    /// Built from every frontend on each access, not cached.
    public var view: RoutingView {
        var diagnostics: [Diagnostic] = []
        for route in routes.values { diagnostics += route.reportedDiagnostics }
        var frontends: [Frontend] = []
        for key in members.keys.sorted() {
            let (frontend, notes) = frontend(key)
            if let frontend { frontends.append(frontend) }
            diagnostics += notes
        }
        let defaultBackends = defaultCandidates.keys.sorted().compactMap(defaultBackend(cluster:))
        return RoutingView(frontends: frontends, defaultBackends: defaultBackends, diagnostics: diagnostics.sorted())
    }

    /// One service's route now.
    func route(_ id: ServiceID) -> ServiceRoute? { routes[id] }

    /// The frontends of one service cluster that have services (with or without upstreams), sorted.
    public func frontendKeys(cluster: String) -> [FrontendKey] {
        members.keys.filter { $0.cluster == cluster }.sorted()
    }

    /// One frontend now (nil when it is not served: no services or no upstreams), with its diagnostics.
    public func frontend(_ key: FrontendKey) -> (Frontend?, [Diagnostic]) {
        guard let ids = members[key] else { return (nil, []) }
        return FrontendAssembly.frontend(key, members: ids.compactMap { routes[$0] })
    }

    /// What the proxy needs of one frontend now (nil when it is not served).
    public func proxyFrontend(_ key: FrontendKey) -> ProxyFrontend? {
        guard let ids = members[key] else { return nil }
        return FrontendAssembly.proxyFrontend(key, members: ids.compactMap { routes[$0] })
    }

    /// The default backend of one service cluster now.
    public func defaultBackend(cluster: String) -> DefaultBackend? {
        guard let ids = defaultCandidates[cluster] else { return nil }
        return FrontendAssembly.defaultBackend(cluster: cluster, candidates: ids.compactMap { routes[$0] })
    }

    /// A task changed: only its own upstream can change, and only that service's frontends.
    private mutating func updateUpstreams(_ id: ServiceID, task: TaskID, from old: SwarmTask?, to new: SwarmTask?,
                                          into change: inout RoutingChange) {
        // One access in place: reading a field through `routes.values[index]` copies the whole route.
        guard let index = routes.index(forKey: id),
              let update = routes.values[index].updateUpstreams(task: task, from: old, to: new) else { return }
        change.touch(update.frontendKeys, by: update.move)
        if let cluster = update.defaultBackendCluster { change.defaultBackendClusters.insert(cluster) }
        countProxyNetwork(from: update.proxyNetworkBefore, to: update.proxyNetworkAfter, into: &change)
    }

    /// The service clusters' proxy networks, sorted.
    public func proxyNetworks(cluster: String) -> [NetworkID] {
        (proxyNetworkCounts[cluster] ?? [:]).keys.sorted()
    }

    private mutating func countProxyNetwork(from old: ServiceRoute.ProxyNetwork?, to new: ServiceRoute.ProxyNetwork?,
                                            into change: inout RoutingChange) {
        guard old != new else { return }
        if let old {
            let count = (proxyNetworkCounts[old.cluster]?[old.network] ?? 1) - 1
            proxyNetworkCounts[old.cluster, default: [:]][old.network] = count > 0 ? count : nil
            if count == 0 {
                change.networkClusters.insert(old.cluster)
                if proxyNetworkCounts[old.cluster]?.isEmpty == true { proxyNetworkCounts[old.cluster] = nil }
            }
        }
        if let new {
            let count = (proxyNetworkCounts[new.cluster]?[new.network] ?? 0) + 1
            proxyNetworkCounts[new.cluster, default: [:]][new.network] = count
            if count == 1 { change.networkClusters.insert(new.cluster) }
        }
    }

    /// The service's spec or networks changed: resolve it again.
    mutating func refresh(_ id: ServiceID, into change: inout RoutingChange) {
        let old = routes[id]
        let new = state.services[id].map { ServiceRoute($0, in: state) }
        guard old != new else { return }
        routes[id] = new
        countProxyNetwork(from: old?.proxyNetwork, to: new?.proxyNetwork, into: &change)

        if old?.networks != new?.networks {
            for network in old?.networks ?? [] { servicesByNetwork[network]?.remove(id) }
            for network in new?.networks ?? [] { servicesByNetwork[network, default: []].insert(id) }
        }

        let oldKeys = old?.frontendKeys ?? []
        let newKeys = new?.frontendKeys ?? []
        for key in oldKeys where !newKeys.contains(key) { leave(&members, key, id) }
        for key in newKeys where !oldKeys.contains(key) { join(&members, key, id) }
        if old?.upstreams != new?.upstreams || old?.routing != new?.routing || old?.name != new?.name {
            change.touch(oldKeys)
            change.touch(newKeys)
        }

        let oldDefault = old?.routing.flatMap { $0.isDefaultBackend ? $0.cluster : nil }
        let newDefault = new?.routing.flatMap { $0.isDefaultBackend ? $0.cluster : nil }
        if oldDefault != newDefault {
            if let cluster = oldDefault { leave(&defaultCandidates, cluster, id) }
            if let cluster = newDefault { join(&defaultCandidates, cluster, id) }
        }
        if let oldDefault { change.defaultBackendClusters.insert(oldDefault) }
        if let newDefault { change.defaultBackendClusters.insert(newDefault) }
    }

    /// Inserts `id` keeping the list ordered oldest first.
    private func join<Key: Hashable>(_ index: inout [Key: [ServiceID]], _ key: Key, _ id: ServiceID) {
        guard let route = routes[id] else { return }
        var list = index[key] ?? []
        let position = list.firstIndex { other in routes[other].map { ServiceRoute.isOlder(route, $0) } ?? false } ?? list.endIndex
        list.insert(id, at: position)
        index[key] = list
    }

    private func leave<Key: Hashable>(_ index: inout [Key: [ServiceID]], _ key: Key, _ id: ServiceID) {
        guard var list = index[key] else { return }
        list.removeAll { $0 == id }
        index[key] = list.isEmpty ? nil : list
    }
}
