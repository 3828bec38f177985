import Foundation
import RouteLedgerCore
import RouteLedgerJSON

/// A `Reload` read back from the `reloads` table: versions as hex text, the diff's servers by address alone.
public struct StoredReload: Sendable, Hashable {
    /// 1, 2, 3, … in log order.
    public var id: Int
    /// The service cluster (`""` is the default cluster).
    public var cluster: String
    /// The position of the last event it includes.
    public var seq: Seq
    /// When the proxy reloads (log time).
    public var logTime: Timestamp
    /// The version before, in hex; nil for the cluster's first reload.
    public var previousVersion: String?
    /// 64 lowercase hex digits.
    public var version: String
    /// Positions of the events since the cluster's previous reload that changed what the proxy sees, ascending.
    public var causes: [Seq]
    /// What changed (servers by their addresses, as the stored JSON keeps them).
    public var diff: ProxyDiff

    /// The documented JSON object (`reloads --json`).
    public var json: JSONValue {
        Reload.json(id: id, cluster: cluster, seq: seq, logTime: logTime, previousVersion: previousVersion,
                    version: version, causes: causes, diff: diff.json)
    }

    /// The documented JSON object with `names`: `{id: name}` for the networks its diff names.
    public func json(names: NameBook) -> JSONValue {
        guard case .object(var members) = json else { return json }
        members.append(JSONMember("names", names.json(networks: networks)))
        return .object(members)
    }

    /// The networks the proxies joined or left with it.
    public var networks: [NetworkID] { diff.networksAdded + diff.networksRemoved }

    /// Whether the reload changed anything of `host`.
    public func touches(host: String) -> Bool {
        let host = host.lowercased()
        return diff.frontendsAdded.contains { $0.host == host } || diff.frontendsRemoved.contains { $0.host == host }
            || diff.upstreams.contains { $0.key.host == host } || diff.options.contains { $0.key.host == host }
    }

    /// A row selected as ``reloadColumns``.
    init(_ row: any StoreRow) throws {
        let stored = try ReloadRow(row)
        id = stored.id
        cluster = stored.cluster
        seq = stored.seq
        logTime = Timestamp(nanosecondsSinceEpoch: stored.logTime)
        previousVersion = stored.previousVersion
        version = stored.version
        causes = (try JSONParser.parse(Array(stored.causes.utf8))).arrayValue?.compactMap { $0.intValue.map(Seq.init) } ?? []
        do {
            diff = try ProxyDiff(json: try JSONParser.parse(Array(stored.diff.utf8)))
        } catch {
            throw StoreError.corrupt(seq: stored.seq, reason: "reload \(stored.id): \(error)")
        }
    }
}

/// Which reloads a query wants: every condition that is set must hold.
public struct ReloadFilter: Sendable {
    /// From this log time on.
    public var since: Timestamp?
    /// Up to this log time.
    public var until: Timestamp?
    /// Only reloads that changed this host.
    public var host: String?
    /// Only this service cluster.
    public var cluster: String?
    /// Only reloads up to this position (a point-in-time query).
    public var throughSeq: Seq?
    /// Only reloads after this position.
    public var afterSeq: Seq?
    /// Only reloads to a version that starts with these hex digits (what a proxy's `x-server-info` shows).
    public var versionPrefix: String?
    /// Only reloads with a greater id (the cursor of the next page).
    public var afterID: Int?
    /// Only reloads with a smaller id (the cursor of the previous page: the last ones before it).
    public var beforeID: Int?

    /// The fewest hex digits that name a version.
    public static let minimumVersionDigits = 4

    /// Why `prefix` cannot be the start of a version; nil when it can.
    public static func versionPrefixProblem(_ prefix: String) -> String? {
        if prefix.count < minimumVersionDigits { return "a version prefix needs at least \(minimumVersionDigits) hex digits" }
        if prefix.count > 64 { return "a version has 64 hex digits" }
        if !prefix.allSatisfy({ $0.isASCII && $0.isHexDigit }) { return "a version is hex digits (0-9, a-f)" }
        return nil
    }

    /// All reloads.
    public init(since: Timestamp? = nil, until: Timestamp? = nil, host: String? = nil, cluster: String? = nil, throughSeq: Seq? = nil,
                versionPrefix: String? = nil) {
        self.since = since
        self.until = until
        self.host = host
        self.cluster = cluster
        self.throughSeq = throughSeq
        self.versionPrefix = versionPrefix
    }
}

/// What one event did, as `explain` reports it.
public struct EventExplanation: Sendable {
    public var event: StoredEvent
    /// Its effect; nil while it waits for a settle window that has not closed yet.
    public var effect: EventEffect?
    /// Names for the ids it mentions.
    public var names: NameBook
}

extension EventLog {
    /// Stored reloads matching `filter`, in id order.
    public func reloads(_ filter: ReloadFilter = ReloadFilter()) throws -> [StoredReload] {
        try reloads(filter, limit: nil).reloads
    }

    /// At most `limit` stored reloads matching `filter`, in id order, and whether more match beyond them: after
    /// the last (with `beforeID`: before the first). With `beforeID` and no `afterID` they are the last
    /// `limit` before it. Reads only as far as it needs (a host filter reads until `limit` match).
    public func reloads(_ filter: ReloadFilter, limit: Int?) throws -> (reloads: [StoredReload], more: Bool) {
        try read { connection in
            var conditions: [String] = []
            var arguments: [SQLValue] = []
            if let since = filter.since { conditions.append("log_time >= ?"); arguments.append(.integer(since.nanosecondsSinceEpoch)) }
            if let until = filter.until { conditions.append("log_time <= ?"); arguments.append(.integer(until.nanosecondsSinceEpoch)) }
            if let cluster = filter.cluster { conditions.append("cluster = ?"); arguments.append(.text(cluster)) }
            // Reloads are stored in log order, so a bound on positions is a bound on ids (the primary key, which
            // a reading backwards from the end stops early on): the last id at or before the position, by the
            // seq index.
            let lastIDThrough = "(SELECT coalesce((SELECT id FROM reloads WHERE seq <= ? ORDER BY seq DESC, id DESC LIMIT 1), 0))"
            if let seq = filter.throughSeq { conditions.append("id <= \(lastIDThrough)"); arguments.append(.integer(seq)) }
            if let seq = filter.afterSeq { conditions.append("id > \(lastIDThrough)"); arguments.append(.integer(seq)) }
            if let host = filter.host {
                // A cheap first sieve in the database (the diff names the host as it is stored); `touches` decides.
                conditions.append(#"diff LIKE ? ESCAPE '\'"#)
                let escaped = host.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                arguments.append(.text(#"%"host":"\#(escaped)"%"#))
            }
            if let prefix = filter.versionPrefix?.lowercased() {
                // The length inline: PostgreSQL's substr takes an int4, which an int8 parameter is not.
                conditions.append("substr(version, 1, \(prefix.utf8.count)) = ?")
                arguments.append(.text(prefix))
            }
            if let after = filter.afterID { conditions.append("id > ?"); arguments.append(.integer(Int64(after))) }
            if let before = filter.beforeID { conditions.append("id < ?"); arguments.append(.integer(Int64(before))) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            // The last ones before a cursor are read backwards from it.
            let backwards = filter.beforeID != nil && filter.afterID == nil
            var reloads: [StoredReload] = []
            var more = false
            try connection.stream("SELECT \(reloadColumns) FROM reloads \(whereClause) ORDER BY id\(backwards ? " DESC" : "")", arguments) { row in
                let reload = try StoredReload(row)
                guard filter.host.map(reload.touches) ?? true else { return true }
                if let limit, reloads.count == limit {
                    more = true
                    return false
                }
                reloads.append(reload)
                return true
            }
            if backwards { reloads.reverse() }
            return (reloads, more)
        }
    }

    /// One stored reload.
    public func reload(id: Int) throws -> StoredReload? {
        try read { connection in
            try connection.rows("SELECT \(reloadColumns) FROM reloads WHERE id = ?", [.integer(Int64(id))]).first.map(StoredReload.init)
        }
    }

    /// What the event at `seq` did: part of which reloads, or absorbed and why.
    ///
    /// Computed by replaying the log up to the point where the effect is known (effects are not stored:
    /// recomputing them is deterministic, and storing one row per event would halve append throughput).
    public func explain(seq: Seq) throws -> EventExplanation? {
        try read { connection in
            guard let row = try connection.rows("SELECT \(storedEventColumns) FROM events WHERE seq = ?", [.integer(seq)]).first else {
                return nil
            }
            let event = try Self.storedEvent(row)
            var (projection, start) = try Self.startingPoint(connection, atOrBefore: seq - 1, tracksEffects: true)
            var effect: EventEffect?
            try connection.stream("SELECT \(recordedEventColumns) FROM events WHERE seq > ? ORDER BY seq", [.integer(start)]) { row in
                effect = projection.apply(try Self.recordedEvent(row)).effects[seq]
                return effect == nil
            }
            return EventExplanation(event: event, effect: effect, names: try Self.names(connection, after: seq - 1, through: seq))
        }
    }
}
