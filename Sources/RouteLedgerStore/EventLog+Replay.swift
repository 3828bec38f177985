import RouteLedgerCore

/// One event of a replayed range, with what it did.
public struct ReplayedEvent: Sendable {
    public var event: StoredEvent
    /// Its effect; nil when it still waits for a settle window at the end of the log.
    public var effect: EventEffect?
    /// Reloads recorded while folding this event (a settle window may close at a later event).
    public var reloads: [Reload]
}

extension EventLog {
    /// Replays the log and reports, for each event in `range`, its effect and the reloads recorded with it.
    public func replay(range: ClosedRange<Seq>) throws -> [ReplayedEvent] {
        try read { connection in
            var (projection, start) = try Self.startingPoint(connection, atOrBefore: range.lowerBound - 1, tracksEffects: true)
            var replayed: [ReplayedEvent] = []
            var index: [Seq: Int] = [:]
            var unresolved = 0
            try connection.stream("SELECT \(storedEventColumns) FROM events WHERE seq > ? ORDER BY seq", [.integer(start)]) { row in
                let stored = try Self.storedEvent(row)
                if stored.seq > range.upperBound && unresolved == 0 { return false }
                let step = projection.apply(RecordedEvent(seq: stored.seq, id: stored.id, time: stored.time, logTime: stored.logTime,
                                                          event: try stored.clusterEvent))
                if range.contains(stored.seq) {
                    index[stored.seq] = replayed.count
                    replayed.append(ReplayedEvent(event: stored, effect: nil, reloads: step.reloads))
                    unresolved += 1
                }
                for (seq, effect) in step.effects {
                    guard let i = index[seq], replayed[i].effect == nil else { continue }
                    replayed[i].effect = effect
                    unresolved -= 1
                }
                return true
            }
            return replayed
        }
    }

    /// The proxy views of every service cluster at each of `points`, folded in one pass.
    public func proxyViews(at points: [Seq]) throws -> [Seq: [ProxyView]] {
        let wanted = Set(points)
        var projection = RoutingProjection()
        var views: [Seq: [ProxyView]] = wanted.contains(0) ? [0: []] : [:]
        try replay(through: points.max() ?? 0) { event in
            projection.apply(event)
            guard wanted.contains(event.seq) else { return }
            let view = projection.view
            let clusters = Set(view.frontends.map(\.cluster)).union(view.defaultBackends.map(\.cluster))
            views[event.seq] = clusters.sorted().map { ProxyView(cluster: $0, projection: projection) }
        }
        return views
    }
}

extension StoredEvent {
    /// `data` decoded on each access; throws when it is not a valid payload of `type`.
    public var clusterEvent: ClusterEvent {
        get throws { try EventDecoder.payload(type: type, data: data) }
    }
}
