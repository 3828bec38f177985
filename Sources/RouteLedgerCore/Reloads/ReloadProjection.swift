/// The reload audit, folded incrementally: on top of the routing, each service cluster's proxy view and
/// config version, a ``Reload`` each time a version changes, and every event's ``EventEffect``.
///
/// Only the frontends an event touched are looked at again; the version is updated in constant time per
/// frontend (see ``ConfigVersion``). Pure: replaying the same events gives the same reloads.
public struct ReloadProjection: Sendable {
    /// The routing underneath.
    public private(set) var routing = RoutingProjection()
    private var clusters: [String: ClusterProxy] = [:]
    /// The id the next reload gets.
    public private(set) var nextReloadID = 1

    /// The empty projection.
    public init() {}

    /// Folds one recorded event: its effect, and the reloads it completes.
    public mutating func apply(_ event: RecordedEvent) -> (effect: EventEffect, reloads: [Reload]) {
        let before = Absorption.Before(event.event, routing: routing)
        let change = routing.apply(event)
        var reloads: [Reload] = []
        for cluster in change.clusters.sorted() {
            var proxy = clusters[cluster] ?? ClusterProxy(cluster: cluster)
            proxy.update(change, routing: routing)
            if let reload = proxy.reloadIfChanged(id: nextReloadID, at: event) {
                reloads.append(reload)
                nextReloadID += 1
            }
            clusters[cluster] = proxy.isEmpty ? nil : proxy
        }
        if !reloads.isEmpty { return (.reload(reloads.map(\.id)), reloads) }
        return (.absorbed(Absorption.reason(event.event, before: before, change: change, routing: routing)), [])
    }

    /// The current version of a cluster's proxy configuration (nil before its first reload).
    public func version(cluster: String) -> ConfigVersion? { clusters[cluster]?.version }

    /// The clusters that have a proxy configuration, sorted.
    public var clusterNames: [String] { clusters.keys.sorted() }

    /// The current proxy view of a cluster.
    public func proxyView(cluster: String) -> ProxyView { ProxyView(cluster: cluster, projection: routing) }
}

/// One cluster's proxy: the version accumulator now, and what the proxy was given at its last reload.
struct ClusterProxy: Sendable {
    let cluster: String
    private var accumulator: ConfigVersion.Accumulator
    private var digests: [FrontendKey: ConfigVersion.FrontendDigest] = [:]
    private var current: [FrontendKey: ProxyFrontend] = [:]
    private var defaultBackend: [ProxyServer] = []
    private var networks: [NetworkID] = []
    /// What the last reload gave the proxy, for the diff of the next one.
    private var reloaded: [FrontendKey: ProxyFrontend] = [:]
    private var reloadedDefaultBackend: [ProxyServer] = []
    private var reloadedNetworks: [NetworkID] = []
    private(set) var version: ConfigVersion?
    /// Frontends changed since the last reload.
    private var dirty: Set<FrontendKey> = []
    /// Events since the last reload that changed the view.
    private var causes: [Seq] = []
    private var changedThisEvent = false

    init(cluster: String) {
        self.cluster = cluster
        accumulator = ConfigVersion.Accumulator(cluster: cluster)
    }

    /// Nothing to remember: no frontend, default backend or network, and never reloaded.
    var isEmpty: Bool { current.isEmpty && defaultBackend.isEmpty && networks.isEmpty && version == nil }

    /// Takes the routing's change for this cluster.
    mutating func update(_ change: RoutingChange, routing: RoutingProjection) {
        changedThisEvent = false
        for key in change.frontends where key.cluster == cluster {
            let new = routing.frontend(key).0.map(ProxyFrontend.init)
            guard new != current[key] else { continue }
            if let old = digests.removeValue(forKey: key) { accumulator.frontends.subtract(old) }
            if let new {
                let digest = ConfigVersion.FrontendDigest(new)
                accumulator.frontends.add(digest)
                digests[key] = digest
            }
            current[key] = new
            dirty.insert(key)
            changedThisEvent = true
        }
        if change.defaultBackendClusters.contains(cluster) {
            let servers = routing.defaultBackend(cluster: cluster)?.upstreams.map(ProxyServer.init).sorted() ?? []
            if servers != defaultBackend {
                defaultBackend = servers
                accumulator.defaultBackend = ConfigVersion.digest(servers)
                changedThisEvent = true
            }
        }
        if change.networkClusters.contains(cluster) {
            let now = routing.proxyNetworks(cluster: cluster)
            if now != networks {
                networks = now
                accumulator.networks = ConfigVersion.digest(now)
                changedThisEvent = true
            }
        }
    }

    /// Records `event` as a cause when it changed the view, and reloads when the version differs from the
    /// last reload's.
    mutating func reloadIfChanged(id: Int, at event: RecordedEvent) -> Reload? {
        guard changedThisEvent else { return nil }
        causes.append(event.seq)
        let next = accumulator.version
        guard next != version else {
            // Changed and changed back since the last reload: the proxy already runs this version.
            causes.removeAll()
            dirty.removeAll()
            return nil
        }
        var diff = ProxyDiff()
        for key in dirty { diff.record(key, from: reloaded[key], to: current[key]) }
        if defaultBackend != reloadedDefaultBackend { diff.defaultBackend = (reloadedDefaultBackend, defaultBackend) }
        diff.networksAdded = networks.filter { !reloadedNetworks.contains($0) }
        diff.networksRemoved = reloadedNetworks.filter { !networks.contains($0) }
        diff.sort()
        let reload = Reload(id: id, cluster: cluster, seq: event.seq, logTime: event.logTime,
                            previousVersion: version, version: next, causes: causes, diff: diff)
        for key in dirty { reloaded[key] = current[key] }
        reloadedDefaultBackend = defaultBackend
        reloadedNetworks = networks
        version = next
        causes.removeAll()
        dirty.removeAll()
        return reload
    }
}
