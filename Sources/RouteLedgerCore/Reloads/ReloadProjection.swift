/// How reloads are coalesced: a burst of changes becomes one reload once the cluster has been quiet for
/// `settle` (in log time), or at the latest `maxWait` after the burst's first change. Zero: one reload per
/// changing event.
public struct ReloadSettings: Sendable, Hashable, CustomStringConvertible {
    /// Quiet time before a reload, in nanoseconds of log time.
    public var settle: Int64
    /// Longest a change waits for its reload, in nanoseconds of log time.
    public var maxWait: Int64

    /// No coalescing.
    public static let immediate = ReloadSettings(settle: 0, maxWait: 0)

    /// Creates settings; `maxWait` defaults to ten times `settle`.
    public init(settle: Int64, maxWait: Int64? = nil) {
        self.settle = max(0, settle)
        self.maxWait = max(self.settle, maxWait ?? self.settle * 10)
    }

    /// `settle 2s, max wait 20s`, or `one reload per changing event`.
    public var description: String {
        settle == 0 ? "one reload per changing event" : "settle \(DurationText.format(settle)), max wait \(DurationText.format(maxWait))"
    }
}

/// What folding one event produced: reloads completed, and effects now known (of this event, or of earlier
/// events whose settle window closed).
public struct ReloadStep: Sendable, Hashable {
    /// Reloads recorded at this step, in id order.
    public var reloads: [Reload] = []
    /// Effects now known, by event position. An event that waits for its settle window has none yet.
    public var effects: [Seq: EventEffect] = [:]
}

/// The reload audit, folded incrementally: on top of the routing, each service cluster's proxy view and
/// config version, a ``Reload`` each time a version changes, and every event's ``EventEffect``.
///
/// Only the frontends an event touched are looked at again; the version is updated in constant time per
/// frontend (see ``ConfigVersion``). Pure: replaying the same events gives the same reloads.
public struct ReloadProjection: Sendable {
    /// The routing underneath.
    public internal(set) var routing = RoutingProjection()
    /// How reloads coalesce now: the settings the projection started with, then those of the latest
    /// `config.changed` event.
    public internal(set) var settings: ReloadSettings
    /// Whether each event's effect (and the reason of an absorbed one) is worked out. The store's
    /// projection does without: it keeps reloads, not effects, and reasons cost more than the rest.
    public let tracksEffects: Bool
    var clusters: [String: ClusterProxy] = [:]
    /// Events that changed a view and wait for their reloads: the clusters still pending, the reloads so far.
    var waiting: [Seq: (clusters: Int, reloads: [Int])] = [:]
    /// The id the next reload gets.
    public internal(set) var nextReloadID = 1

    /// The empty projection.
    public init(settings: ReloadSettings = .immediate, tracksEffects: Bool = true) {
        self.settings = settings
        self.tracksEffects = tracksEffects
    }

    /// Folds one recorded event.
    public mutating func apply(_ event: RecordedEvent) -> ReloadStep {
        var step = ReloadStep()
        // Settle windows that closed before this event: their reloads carry the state before it.
        if settings.settle > 0 {
            for cluster in clusters.keys.sorted() where clusters[cluster]!.isDue(at: event.logTime, settings) {
                fire(cluster, into: &step)
            }
        }
        if case .configChanged(let new) = event.event {
            // From here on: a change to no coalescing closes the open windows now; other windows close by the
            // new settings.
            if new.settle == 0 {
                for cluster in clusters.keys.sorted() where clusters[cluster]!.hasPending { fire(cluster, into: &step) }
            }
            settings = new
        }
        let before = tracksEffects ? Absorption.Before(event.event, routing: routing) : nil
        let change = routing.apply(event)
        var changed: [String] = []
        for cluster in change.clusterList {
            // Mutated in place: copying a cluster's proxy out of the dictionary would copy all its frontends.
            if clusters[cluster, default: ClusterProxy(cluster: cluster)].update(change, routing: routing, cause: event) {
                changed.append(cluster)
            } else if clusters[cluster]?.isEmpty == true {
                clusters[cluster] = nil  // touched, but nothing to remember (no view, never reloaded)
            }
        }
        if changed.isEmpty {
            if let before { step.effects[event.seq] = .absorbed(Absorption.reason(event.event, before: before, routing: routing)) }
            return step
        }
        if tracksEffects { waiting[event.seq] = (changed.count, []) }
        if settings.settle == 0 {
            for cluster in changed { fire(cluster, into: &step) }
        }
        return step
    }

    /// Closes every open settle window (the end of a replay, or a query that wants the pending reloads).
    public mutating func flush() -> ReloadStep {
        var step = ReloadStep()
        for cluster in clusters.keys.sorted() where clusters[cluster]!.hasPending { fire(cluster, into: &step) }
        return step
    }

    private mutating func fire(_ cluster: String, into step: inout ReloadStep) {
        guard let (reload, causes) = clusters[cluster]?.reload(id: nextReloadID, settings: settings) else { return }
        if let reload {
            step.reloads.append(reload)
            nextReloadID += 1
        }
        for seq in causes {
            guard var entry = waiting[seq] else { continue }
            entry.clusters -= 1
            if let reload { entry.reloads.append(reload.id) }
            if entry.clusters == 0 {
                waiting[seq] = nil
                step.effects[seq] = entry.reloads.isEmpty
                    ? .absorbed("its change was undone before the settle window closed; the proxy already ran that configuration")
                    : .reload(entry.reloads)
            } else {
                waiting[seq] = entry
            }
        }
        if clusters[cluster]?.isEmpty == true { clusters[cluster] = nil }
    }

    /// The current version of a cluster's proxy configuration (nil before its first reload).
    public func version(cluster: String) -> ConfigVersion? { clusters[cluster]?.version }

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
    /// Log time of the first and the last change since the last reload.
    private var firstChange: Timestamp?
    private var lastChange: Timestamp?
    private var lastCause: (seq: Seq, logTime: Timestamp)?

    init(cluster: String) {
        self.cluster = cluster
        accumulator = ConfigVersion.Accumulator(cluster: cluster)
    }

    /// Nothing to remember: no frontend, default backend or network, and never reloaded.
    var isEmpty: Bool { current.isEmpty && defaultBackend.isEmpty && networks.isEmpty && version == nil && causes.isEmpty }

    /// Whether changes wait for a reload.
    var hasPending: Bool { !causes.isEmpty }

    /// Whether the settle window of the pending changes has closed by `time`.
    func isDue(at time: Timestamp, _ settings: ReloadSettings) -> Bool {
        guard let firstChange, let lastChange, hasPending else { return false }
        return time.nanosecondsSinceEpoch >= lastChange.nanosecondsSinceEpoch &+ settings.settle
            || time.nanosecondsSinceEpoch >= firstChange.nanosecondsSinceEpoch &+ settings.maxWait
    }

    /// Takes the routing's change for this cluster; returns whether the cluster's view changed (then
    /// `cause` waits for the next reload).
    mutating func update(_ change: RoutingChange, routing: RoutingProjection, cause: RecordedEvent) -> Bool {
        guard absorb(change, routing: routing) else { return false }
        causes.append(cause.seq)
        firstChange = firstChange ?? cause.logTime
        lastChange = cause.logTime
        lastCause = (cause.seq, cause.logTime)
        return true
    }

    /// Brings the current view up to the routing for what `change` touched; returns whether it changed.
    private mutating func absorb(_ change: RoutingChange, routing: RoutingProjection) -> Bool {
        var changedThisEvent = false
        for key in change.frontends where key.cluster == cluster {
            let new = routing.proxyFrontend(key)
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
        return changedThisEvent
    }

    /// Takes the whole current view as reloaded at `version` (restoring from a snapshot).
    mutating func restore(_ change: RoutingChange, routing: RoutingProjection, version: ConfigVersion) {
        _ = absorb(change, routing: routing)
        reloaded = current
        reloadedDefaultBackend = defaultBackend
        reloadedNetworks = networks
        self.version = version
        dirty.removeAll()
    }

    /// Ends the pending changes: a reload when the version differs from the last reload's (nil when the
    /// changes were undone). Returns the causes it settles.
    mutating func reload(id: Int, settings: ReloadSettings) -> (Reload?, [Seq]) {
        let settled = causes
        defer {
            causes.removeAll()
            dirty.removeAll()
            firstChange = nil
            lastChange = nil
            lastCause = nil
        }
        guard let lastCause, let firstChange, let lastChange else { return (nil, settled) }
        let next = accumulator.version
        guard next != version else { return (nil, settled) }
        var diff = ProxyDiff()
        for key in dirty { diff.record(key, from: reloaded[key], to: current[key]) }
        if defaultBackend != reloadedDefaultBackend { diff.defaultBackend = (reloadedDefaultBackend, defaultBackend) }
        diff.networksAdded = networks.filter { !reloadedNetworks.contains($0) }
        diff.networksRemoved = reloadedNetworks.filter { !networks.contains($0) }
        diff.sort()
        // The proxy reloads when the window closes: quiet for `settle`, or `maxWait` after the first change.
        let at = settings.settle == 0 ? lastCause.logTime : Timestamp(nanosecondsSinceEpoch: min(
            lastChange.nanosecondsSinceEpoch &+ settings.settle, firstChange.nanosecondsSinceEpoch &+ settings.maxWait))
        let reload = Reload(id: id, cluster: cluster, seq: lastCause.seq, logTime: at,
                            previousVersion: version, version: next, causes: settled, diff: diff)
        for key in dirty { reloaded[key] = current[key] }
        reloadedDefaultBackend = defaultBackend
        reloadedNetworks = networks
        version = next
        return (reload, settled)
    }
}
