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

/// The changes of one cluster waiting for its reload: from the first change's log time to the last's.
struct SettleWindow: Sendable {
    var first: Timestamp
    var last: Timestamp
    /// The position of the last change: the reload's.
    var lastCause: Seq

    /// A window that `event` opens.
    init(_ event: RecordedEvent) {
        first = event.logTime
        last = event.logTime
        lastCause = event.seq
    }

    /// Holds the window open for another change.
    mutating func extend(_ event: RecordedEvent) {
        last = event.logTime
        lastCause = event.seq
    }

    /// Whether it has closed by `time`: quiet for `settle`, or `maxWait` after the first change.
    func isDue(at time: Timestamp, _ settings: ReloadSettings) -> Bool {
        time.nanosecondsSinceEpoch >= last.nanosecondsSinceEpoch &+ settings.settle
            || time.nanosecondsSinceEpoch >= first.nanosecondsSinceEpoch &+ settings.maxWait
    }

    /// When the proxy reloads: at the last change without a settle window, else when the window closes.
    func reloadTime(_ settings: ReloadSettings) -> Timestamp {
        settings.settle == 0 ? last : Timestamp(nanosecondsSinceEpoch: min(
            last.nanosecondsSinceEpoch &+ settings.settle, first.nanosecondsSinceEpoch &+ settings.maxWait))
    }
}

/// The reload audit, folded incrementally: on top of the routing, each service cluster's proxy view and
/// config version, a ``Reload`` each time a version changes, and every event's ``EventEffect``.
///
/// Only the frontends an event touched are looked at again; the version is updated in constant time per
/// frontend (see ``ConfigVersion``). Pure: replaying the same events gives the same reloads.
public struct ReloadProjection: Sendable {
    /// The routing after the last event folded: ahead of the last reload while a settle window is open.
    public internal(set) var routing = RoutingProjection()
    /// How reloads coalesce now: the settings the projection started with, then those of the latest
    /// `config.changed` event.
    public internal(set) var settings: ReloadSettings
    /// Whether each event's effect (and the reason of an absorbed one) is worked out. The store's
    /// projection does without: it keeps reloads, not effects, and reasons cost more than the rest.
    public let tracksEffects: Bool
    var clusters: [String: ClusterProxy] = [:]
    /// The open settle windows, by cluster (only with a settle window: without, a change reloads at once).
    var windows: [String: SettleWindow] = [:]
    /// Events that changed a view and wait for their reloads: the clusters still pending, the reloads so far.
    var waiting: [Seq: (clusters: Int, reloads: [Int])] = [:]
    /// Starts at 1 and counts across clusters; a snapshot keeps it.
    public internal(set) var nextReloadID = 1

    public init(settings: ReloadSettings = .immediate, tracksEffects: Bool = true) {
        self.settings = settings
        self.tracksEffects = tracksEffects
    }

    /// Folds one recorded event.
    public mutating func apply(_ event: RecordedEvent) -> ReloadStep {
        var step = ReloadStep()
        // Settle windows that closed before this event: their reloads carry the state before it.
        if !windows.isEmpty {
            for cluster in windows.keys.sorted() where windows[cluster]!.isDue(at: event.logTime, settings) {
                fire(cluster, window: windows.removeValue(forKey: cluster)!, into: &step)
            }
        }
        if case .configChanged(let new) = event.event {
            // From here on: a change to no coalescing closes the open windows now; other windows close by the
            // new settings.
            if new.settle == 0 { closeWindows(into: &step) }
            settings = new
        }
        let before = tracksEffects ? Absorption.Before(event.event, routing: routing) : nil
        let change = routing.apply(event)
        var changed: [String] = []
        if let cluster = change.onlyCluster {
            // The common case: one cluster, and no list to build.
            if absorb(change, into: cluster, cause: event) {
                if tracksEffects { waiting[event.seq] = (1, []) }
                open(cluster, by: event, into: &step)
                return step
            }
        } else {
            for cluster in change.clusterList where absorb(change, into: cluster, cause: event) { changed.append(cluster) }
            if !changed.isEmpty {
                if tracksEffects { waiting[event.seq] = (changed.count, []) }
                for cluster in changed { open(cluster, by: event, into: &step) }
                return step
            }
        }
        if let before { step.effects[event.seq] = .absorbed(Absorption.reason(event.event, before: before, routing: routing)) }
        return step
    }

    /// Hands `change` to the cluster's proxy; returns whether its view changed.
    private mutating func absorb(_ change: RoutingChange, into cluster: String, cause: RecordedEvent) -> Bool {
        // In place, and asked nothing else: reading a cluster's proxy out of the dictionary would copy it.
        switch clusters[cluster, default: ClusterProxy(cluster: cluster)].update(change, routing: routing, cause: cause) {
        case .changed: return true
        case .unchanged: return false
        case .unchangedAndEmpty:
            clusters[cluster] = nil  // touched, but nothing to remember
            return false
        }
    }

    /// A change of `cluster` by `event`: its reload now without a settle window, else its window opened or
    /// held open.
    private mutating func open(_ cluster: String, by event: RecordedEvent, into step: inout ReloadStep) {
        if settings.settle == 0 {
            fire(cluster, window: SettleWindow(event), into: &step)
        } else {
            windows[cluster, default: SettleWindow(event)].extend(event)
        }
    }

    /// Closes every open settle window (the end of a replay, or a query that wants the pending reloads).
    public mutating func flush() -> ReloadStep {
        var step = ReloadStep()
        closeWindows(into: &step)
        return step
    }

    private mutating func closeWindows(into step: inout ReloadStep) {
        for cluster in windows.keys.sorted() { fire(cluster, window: windows.removeValue(forKey: cluster)!, into: &step) }
    }

    private mutating func fire(_ cluster: String, window: SettleWindow, into step: inout ReloadStep) {
        guard let (reload, causes, isEmpty) = clusters[cluster]?.reload(id: nextReloadID, seq: window.lastCause,
                                                                          logTime: window.reloadTime(settings)) else { return }
        if let reload {
            step.reloads.append(reload)
            nextReloadID += 1
        }
        // Without effects, nothing waits.
        for seq in causes where tracksEffects {
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
        if isEmpty { clusters[cluster] = nil }
    }

    /// The current version of a cluster's proxy configuration (nil before its first reload).
    public func version(cluster: String) -> ConfigVersion? { clusters[cluster]?.version }

    /// The current proxy view of a cluster.
    public func proxyView(cluster: String) -> ProxyView { ProxyView(cluster: cluster, projection: routing) }
}
