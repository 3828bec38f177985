import RouteLedgerCore

extension EventLog {
    /// The upstreams of `host` in `cluster` from `from` through `to`: the routing at `from`, then after each
    /// reload of the host or of the cluster's default backend, as lanes (``HostTimeline``). Reads the range only: the state at `from` comes from
    /// the nearest snapshot.
    public func hostTimeline(host: String, cluster: String, from: LogPoint, to: LogPoint) throws -> HostTimeline {
        try hostHistory(host: host, cluster: cluster, from: from, to: to).timeline
    }

    /// ``hostTimeline(host:cluster:from:to:)`` with the timeline's reloads and a name book that knows
    /// every name of the range (for their stories: ``reloadDetail(_:names:)``).
    public func hostHistory(host: String, cluster: String, from: LogPoint, to: LogPoint) throws
        -> (timeline: HostTimeline, reloads: [StoredReload], names: NameBook) {
        let host = host.lowercased()
        // The cluster's reloads in the range: those that changed the host are markers; those that changed
        // the default backend are samples too (its lane is on the page).
        var filter = ReloadFilter(cluster: cluster, throughSeq: to.seq)
        filter.afterSeq = from.seq
        let reloads = try self.reloads(filter).filter { $0.touches(host: host) || $0.diff.defaultBackend != nil }
        var projection = try projection(through: from)
        // The names of the state at the start, then of each event of the range, learnt as it is replayed.
        var names = NameBook(projection.state)
        var builder = HostTimeline.Builder(host: host, cluster: cluster, from: TimelinePoint(seq: from.seq, logTime: from.logTime))
        func sample(at point: TimelinePoint) {
            let frontends = projection.frontendKeys(cluster: cluster).filter { $0.host == host }.compactMap { projection.frontend($0).0 }
            builder.sample(frontends: frontends, defaultBackend: projection.defaultBackend(cluster: cluster), at: point, names: names)
        }
        sample(at: TimelinePoint(seq: from.seq, logTime: from.logTime))
        // The marker's server lists: the same projection as `routeledger timeline`, from the frontends at `from`.
        var servers = HostServers(host: host, frontends: projection.frontendKeys(cluster: cluster).filter { $0.host == host }
            .compactMap(projection.proxyFrontend))
        var next = reloads.startIndex
        var marked: [StoredReload] = []
        try replay(after: from.seq, through: to.seq) { event in
            _ = projection.apply(event)
            names.learn(event.event)
            while next < reloads.endIndex && reloads[next].seq == event.seq {
                let reload = reloads[next]
                sample(at: TimelinePoint(seq: reload.seq, logTime: reload.logTime))
                if reload.touches(host: host) {
                    marked.append(reload)
                    builder.mark(HostTimeline.Marker(id: reload.id, point: TimelinePoint(seq: reload.seq, logTime: reload.logTime),
                                                     version: reload.version, changes: DiffText.lines(reload.diff, names: names, host: host),
                                                     frontends: servers.apply(reload.diff)))
                }
                next += 1
            }
        }
        let timeline = builder.finish(at: TimelinePoint(seq: to.seq, logTime: to.logTime), diagnostics: projection.view.filtered(host: host).diagnostics)
        return (timeline, marked, names)
    }
}

/// One reload of a host's frontend and the servers it left the frontend with (`routeledger timeline`).
public struct FrontendServers: Sendable {
    public var reload: StoredReload
    public var list: FrontendServerList
}

extension EventLog {
    /// Each reload of `host` (in `cluster`, when given) through `seq`, once per frontend of the host it
    /// changed, with that frontend's servers after it: ``HostServers`` over the stored diffs, no replay.
    public func frontendServers(host: String, cluster: String?, through seq: Seq) throws -> [FrontendServers] {
        var servers = HostServers(host: host)
        var entries: [FrontendServers] = []
        for reload in try reloads(ReloadFilter(host: servers.host, cluster: cluster, throughSeq: seq)) {
            entries += servers.apply(reload.diff).map { FrontendServers(reload: reload, list: $0) }
        }
        return entries
    }
}
