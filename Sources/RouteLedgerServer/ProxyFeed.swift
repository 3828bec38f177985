import Logging
import RouteLedgerCore
import RouteLedgerStore

/// The configuration a service cluster's proxies should run: its proxy view as of the cluster's newest
/// reload, so what proxies are fed is exactly what the reload audit records (with a settle window, a
/// change waits for its window to close before any proxy sees it).
public struct ServedConfig: Sendable, Equatable {
    /// The view (its cluster is the service cluster).
    public var view: ProxyView
    /// The view's config version: the reload's version, and the `ETag`.
    public var version: ConfigVersion
    /// The reload that produced it; nil before the cluster's first reload (the empty view).
    public var reloadID: Int?
    /// The log position the view is as of (the reload's last cause; 0 for the empty view).
    public var seq: Seq

    /// The nginx configuration of this view.
    public func nginx(_ settings: NginxSettings = NginxSettings()) -> String {
        NginxConfig.render(view, version: version, settings: settings)
    }
}

/// The live feed of proxy configurations: folds the log as it grows, knows the newest reload of each
/// service cluster, and wakes long-polling proxies when their cluster's version changes.
///
/// Appends through this server call ``refresh()`` at once; appends by other processes (the CLI,
/// `ingest docker`) are picked up by the periodic refresh (``FeedPoller``). A waiter is handed the newest
/// configuration when it wakes, never an intermediate one.
///
/// The feed reads the log and folds events synchronously, so it runs on a thread of its own
/// (``DedicatedThreadExecutor``), never on the cooperative pool: a long catch-up must not stall other
/// requests' tasks, and on a 2-core host that pool has 2 threads. Nor on an event loop: on PostgreSQL the
/// store waits for the driver's futures, which an event loop may not do.
public actor ProxyFeed {
    /// The thread every feed's work runs on (serial, like the actor itself).
    private static let thread = DedicatedThreadExecutor(name: "routeledger.feed")

    public nonisolated var unownedExecutor: UnownedSerialExecutor { Self.thread.asUnownedSerialExecutor() }

    private let log: EventLog
    private let logger: Logger
    private let metrics: ServerMetrics?
    /// The live routing projection, at `seq`.
    private var projection: RoutingProjection
    private var seq: Seq
    /// The newest reload of each cluster, and the highest reload id seen.
    private var newest: [String: StoredReload] = [:]
    private var lastReloadID = 0
    private var cache: [String: ServedConfig] = [:]
    private var waiters: [String: [Int: Waiter]] = [:]
    private var nextWaiterID = 0
    /// Set by ``close()``: the server is stopping, so long-polls answer at once.
    private var closed = false

    private struct Waiter {
        var versions: Set<String>
        var continuation: CheckedContinuation<ServedConfig?, Never>
        var timer: Task<Void, Never>?
    }

    /// Opens the feed at the end of `log`.
    public init(log: EventLog, metrics: ServerMetrics? = nil, logger: Logger = Logger(label: "routeledger.feed")) throws {
        self.log = log
        self.logger = logger
        self.metrics = metrics
        let point = try log.point()
        projection = try log.projection(through: point)
        seq = point.seq
        for reload in try log.newestReloads() {
            newest[reload.cluster] = reload
            lastReloadID = max(lastReloadID, reload.id)
        }
        for (cluster, count) in try log.reloadCounts() { metrics?.countReloads(count, cluster: cluster) }
        metrics?.setLogSeq(seq)
    }

    /// The log position the feed has folded.
    public var position: Seq { seq }

    /// Long-polls in progress.
    public var waiterCount: Int { waiters.values.reduce(0) { $0 + $1.count } }

    /// Events folded per step of a refresh; between steps other requests are served.
    static let foldStep: Seq = 5_000

    /// Folds the events appended since the last refresh, takes up new reloads, and wakes the waiters of
    /// every cluster whose version changed. Returns those clusters.
    ///
    /// A large catch-up (another process appended a million events) folds in steps and lets other requests
    /// in between: they stay correct meanwhile, since a configuration is served from the newest reload
    /// taken up, and the live projection is used only when it has reached that reload's version.
    @discardableResult
    public func refresh() async throws -> Set<String> {
        let last = try log.lastSeq()
        guard last > seq else { return [] }
        while seq < last {
            let through = min(last, seq + Self.foldStep)
            try log.replay(after: seq, through: through) { recorded in _ = projection.apply(recorded) }
            seq = through
            metrics?.setLogSeq(seq)
            if seq < last { await Task.yield() }
        }
        return try takeUpReloads()
    }

    /// Reads the reloads recorded since the last look and wakes the waiters of their clusters.
    private func takeUpReloads() throws -> Set<String> {
        let previousID = lastReloadID
        var changed: Set<String> = []
        for reload in try log.newestReloads(afterID: lastReloadID) {
            newest[reload.cluster] = reload
            lastReloadID = max(lastReloadID, reload.id)
            cache[reload.cluster] = nil
            changed.insert(reload.cluster)
        }
        if !changed.isEmpty, let metrics {
            for (cluster, count) in try log.reloadCounts(afterID: previousID) { metrics.countReloads(count, cluster: cluster) }
        }
        for cluster in changed where waiters[cluster] != nil {
            let config = try current(cluster: cluster)
            for (id, waiter) in waiters[cluster]! where !waiter.versions.contains(config.version.hex) {
                resume(id, cluster: cluster, with: config)
            }
        }
        return changed
    }

    /// The configuration `cluster`'s proxies should run now.
    public func current(cluster: String) throws -> ServedConfig {
        if let cached = cache[cluster] { return cached }
        let config: ServedConfig
        if let reload = newest[cluster] {
            let live = ProxyView(cluster: cluster, projection: projection)
            let liveVersion = live.version
            if liveVersion.hex == reload.version {
                config = ServedConfig(view: live, version: liveVersion, reloadID: reload.id, seq: reload.seq)
            } else {
                // Changes after the reload wait for their settle window: serve the view at the reload.
                let view = ProxyView(cluster: cluster, projection: try log.projection(through: try log.point(seq: reload.seq)))
                let version = view.version
                if version.hex != reload.version {
                    logger.error("view at reload disagrees with the stored version; run `routeledger rebuild --verify`",
                                 metadata: ["reload": "\(reload.id)", "cluster": "\(cluster)"])
                }
                config = ServedConfig(view: view, version: version, reloadID: reload.id, seq: reload.seq)
            }
        } else {
            let empty = ProxyView(cluster: cluster)
            config = ServedConfig(view: empty, version: empty.version, reloadID: nil, seq: 0)
        }
        cache[cluster] = config
        return config
    }

    /// The configuration of `cluster` once its version is none of `versions` (those a proxy runs or has
    /// refused): at once when it already differs, else when a refresh changes it; nil when `timeout` passes
    /// first.
    public func next(cluster: String, notIn versions: Set<String>, timeout: Duration) async throws -> ServedConfig? {
        let now = try current(cluster: cluster)
        if !versions.contains(now.version.hex) { return now }
        if closed { return nil }
        let id = nextWaiterID
        nextWaiterID += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.resume(id, cluster: cluster, with: nil)
                }
                waiters[cluster, default: [:]][id] = Waiter(versions: versions, continuation: continuation, timer: timer)
                metrics?.setWatchers(waiterCount)
            }
        } onCancel: {
            Task { [weak self] in await self?.resume(id, cluster: cluster, with: nil) }
        }
    }

    /// Answers every long-poll now, and every later one at once: the server is stopping, and a proxy polls
    /// again (elsewhere, or when it is back) rather than hold the shutdown for up to its wait.
    public func close() {
        closed = true
        for (cluster, held) in waiters {
            for id in held.keys { resume(id, cluster: cluster, with: nil) }
        }
    }

    private func resume(_ id: Int, cluster: String, with config: ServedConfig?) {
        guard let waiter = waiters[cluster]?.removeValue(forKey: id) else { return }
        if waiters[cluster]?.isEmpty == true { waiters[cluster] = nil }
        if config != nil || closed { waiter.timer?.cancel() }
        waiter.continuation.resume(returning: config)
        metrics?.setWatchers(waiterCount)
    }
}
