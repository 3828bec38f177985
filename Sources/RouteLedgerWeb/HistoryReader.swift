import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

/// Reads what a ``TimelineDocument`` shows from the log: the host's timeline for a range, the stories of
/// its newest reloads, the hosts to pick from, and the routing at a clicked point. Shared by the page in
/// `serve` and `routeledger report`.
public struct HistoryReader: Sendable {
    public let log: EventLog

    /// How many reloads back the range starts when none is given.
    public static let defaultReloads = 50
    /// The most reload stories one document tells (the newest of the range); the lanes show every marker.
    public static let maximumStories = 200

    public init(log: EventLog) { self.log = log }

    /// A position given as a seq (`812`) or an RFC 3339 time; nil when `text` is nil.
    public func point(_ text: String?, name: String) throws -> LogPoint? {
        guard let text, !text.isEmpty else { return nil }
        if let seq = Int64(text) { return try log.point(seq: seq) }
        guard let time = Timestamp(rfc3339: text) else {
            throw PointError("\(name)=\(text) is neither a position (a whole number) nor an RFC 3339 time")
        }
        return try log.point(at: time)
    }

    /// The hosts of every cluster now, with their upstream counts, and the clusters.
    public func hosts() throws -> (hosts: [TimelineDocument.HostEntry], clusters: [String]) {
        let view = try log.projection(through: log.point()).view
        var counts: [String: [String: Int]] = [:]
        for frontend in view.frontends { counts[frontend.cluster, default: [:]][frontend.host, default: 0] += frontend.upstreams.count }
        let clusters = Set(counts.keys).union(view.defaultBackends.map(\.cluster)).union([""]).sorted()
        let hosts = counts.keys.sorted().flatMap { cluster in
            counts[cluster]!.keys.sorted().map { TimelineDocument.HostEntry(host: $0, cluster: cluster, upstreams: counts[cluster]![$0]!) }
        }
        return (hosts, clusters)
    }

    /// The range `from`–`to` (either nil: the host's last ``defaultReloads`` reloads before `to`; the end
    /// of the log).
    public func range(host: String, cluster: String, from: LogPoint?, to: LogPoint?) throws -> (from: LogPoint, to: LogPoint) {
        let end = try to ?? log.point()
        if let from { return (from, end) }
        var filter = ReloadFilter(host: host, cluster: cluster, throughSeq: end.seq)
        filter.beforeID = .max
        let back = try log.reloads(filter, limit: Self.defaultReloads)
        let start = back.more ? max((back.reloads.first?.seq ?? 1) - 1, 0) : 0
        return (try log.point(seq: start), end)
    }

    /// The timeline of `host` in the range, and the stories of its newest reloads.
    public func timeline(host: String, cluster: String, from: LogPoint, to: LogPoint) throws -> (HostTimeline, [Int: JSONValue]) {
        let (timeline, reloads, names) = try log.hostHistory(host: host, cluster: cluster, from: from, to: to)
        var stories: [Int: JSONValue] = [:]
        for reload in reloads.suffix(Self.maximumStories) { stories[reload.id] = try log.reloadDetail(reload, names: names).json }
        return (timeline, stories)
    }

    /// The routing of `host` at `point`.
    public func moment(host: String, cluster: String, at point: LogPoint) throws -> TimelineDocument.Moment {
        let projection = try log.projection(through: point)
        let frontends = projection.frontendKeys(cluster: cluster).filter { $0.host == host }.compactMap { projection.frontend($0).0 }
        return TimelineDocument.Moment(point: TimelinePoint(seq: point.seq, logTime: point.logTime), frontends: frontends,
                                       names: NameBook(projection.state))
    }

    /// The newest reload of `host` (0: none), where the page's live updates start.
    public func lastReload(host: String, cluster: String) throws -> Int {
        var filter = ReloadFilter(host: host, cluster: cluster)
        filter.beforeID = .max
        return try log.reloads(filter, limit: 1).reloads.last?.id ?? 0
    }
}
