import RouteLedgerCore
import RouteLedgerJSON

// MARK: - The JSON contract of stored records (DESIGN section 7), shared by the CLI and the HTTP API.

extension StoredEvent {
    /// `{seq, id, type, time, logTime, recordedAt, data, meta}`.
    public var json: JSONValue {
        get throws {
            .object([
                JSONMember("seq", .number(String(seq))),
                JSONMember("id", .string(id)),
                JSONMember("type", .string(type.rawValue)),
                JSONMember("time", .string(time.rfc3339)),
                JSONMember("logTime", .string(logTime.rfc3339)),
                JSONMember("recordedAt", .string(recordedAt.rfc3339)),
                JSONMember("data", try JSONParser.parse(Array(data.utf8))),
                JSONMember("meta", try meta.map { try JSONParser.parse(Array($0.utf8)) } ?? .null),
            ])
        }
    }

    /// One line saying what the event is about (`names` knowing it), or its type when its data cannot be read.
    public func summary(names: NameBook) -> String { (try? clusterEvent.summary(names: names)) ?? type.rawValue }

    /// `{id: name}` for the services, tasks and networks the event names.
    public func namesJSON(_ names: NameBook) -> JSONValue { (try? names.json(for: clusterEvent)) ?? .object([]) }
}

extension EventEffect {
    /// An effect as (kind, reload ids, reason): kind is `reload`, `absorbed` or, for an effect not known
    /// yet (nil), `pending`.
    public static func parts(_ effect: EventEffect?) -> (kind: String, reloads: [Int], reason: String?) {
        switch effect {
        case .reload(let ids): ("reload", ids, nil)
        case .absorbed(let reason): ("absorbed", [], reason)
        case nil: ("pending", [], "waits for its settle window to close")
        }
    }
}

extension EventExplanation {
    /// The effect as (kind, reload ids, reason).
    public var effectParts: (kind: String, reloads: [Int], reason: String?) { EventEffect.parts(effect) }

    /// What the event is about, in names.
    public var summary: String { event.summary(names: names) }

    /// `{seq, type, summary, names, effect, reloads, reason}`.
    public var json: JSONValue {
        let (kind, reloads, reason) = effectParts
        return .object([
            JSONMember("seq", .number(String(event.seq))),
            JSONMember("type", .string(event.type.rawValue)),
            JSONMember("summary", .string(summary)),
            JSONMember("names", event.namesJSON(names)),
            JSONMember("effect", .string(kind)),
            JSONMember("reloads", .array(reloads.map { .number(String($0)) })),
            JSONMember("reason", reason.map(JSONValue.string) ?? .null),
        ])
    }
}

/// A reload with the events that caused it: what `why` shows.
public struct ReloadDetail: Sendable {
    public var reload: StoredReload
    /// Its causes, in order.
    public var causes: [StoredEvent]
    /// What the proxies reported about its version.
    public var proxies: [ProxyReportRecord]
    /// Names for the ids of its causes and its diff.
    public var names: NameBook

    /// The reload's JSON (with `names` for the networks of its diff) with
    /// `causeEvents: [{seq, id, type, time, summary, names}]` and `proxies: [{proxy, outcome, seq, logTime, error}]` added.
    public var json: JSONValue {
        guard case .object(var members) = reload.json(names: names) else { return reload.json }
        members.append(JSONMember("causeEvents", .array(causes.map { event in
            .object([JSONMember("seq", .number(String(event.seq))), JSONMember("id", .string(event.id)),
                     JSONMember("type", .string(event.type.rawValue)), JSONMember("time", .string(event.time.rfc3339)),
                     JSONMember("summary", .string(event.summary(names: names))), JSONMember("names", event.namesJSON(names))])
        })))
        members.append(JSONMember("proxies", .array(proxies.map(\.json))))
        return .object(members)
    }
}

extension EventLog {
    /// Reload `id` with its cause events; nil when there is no such reload.
    public func reloadDetail(id: Int) throws -> ReloadDetail? {
        guard let reload = try reload(id: id) else { return nil }
        return try reloadDetail(reload, names: names(after: (reload.causes.first ?? reload.seq) - 1, through: reload.seq))
    }

    /// `reload` with its cause events, named by `names` (a book that knows them: one for a whole range
    /// serves every reload in it, without a replay per reload).
    public func reloadDetail(_ reload: StoredReload, names: NameBook) throws -> ReloadDetail {
        var causes: [StoredEvent] = []
        for seq in reload.causes {
            if let event = try events(after: seq - 1, limit: 1).first, event.seq == seq { causes.append(event) }
        }
        return ReloadDetail(reload: reload, causes: causes, proxies: try proxyReports(for: reload), names: names)
    }
}
