import RouteLedgerCore

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

    /// One line saying what the event is about, or its type when its data cannot be read.
    public var summary: String { (try? clusterEvent.summary) ?? type.rawValue }
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

    /// `{seq, type, effect, reloads, reason}`.
    public var json: JSONValue {
        let (kind, reloads, reason) = effectParts
        return .object([
            JSONMember("seq", .number(String(event.seq))),
            JSONMember("type", .string(event.type.rawValue)),
            JSONMember("effect", .string(kind)),
            JSONMember("reloads", .array(reloads.map { .number(String($0)) })),
            JSONMember("reason", reason.map(JSONValue.string) ?? .null),
        ])
    }
}

/// A reload with the events that caused it: what `why` shows.
public struct ReloadDetail: Sendable {
    /// The reload.
    public var reload: StoredReload
    /// Its causes, in order.
    public var causes: [StoredEvent]
    /// What the proxies reported about its version.
    public var proxies: [ProxyReportRecord]

    /// The reload's JSON with `causeEvents: [{seq, id, type, time, summary}]` and
    /// `proxies: [{proxy, outcome, seq, logTime, error}]` added.
    public var json: JSONValue {
        guard case .object(var members) = reload.json else { return reload.json }
        members.append(JSONMember("causeEvents", .array(causes.map { event in
            .object([JSONMember("seq", .number(String(event.seq))), JSONMember("id", .string(event.id)),
                     JSONMember("type", .string(event.type.rawValue)), JSONMember("time", .string(event.time.rfc3339)),
                     JSONMember("summary", .string(event.summary))])
        })))
        members.append(JSONMember("proxies", .array(proxies.map(\.json))))
        return .object(members)
    }
}

extension EventLog {
    /// Reload `id` with its cause events; nil when there is no such reload.
    public func reloadDetail(id: Int) throws -> ReloadDetail? {
        guard let reload = try reload(id: id) else { return nil }
        var causes: [StoredEvent] = []
        for seq in reload.causes {
            if let event = try events(after: seq - 1, limit: 1).first, event.seq == seq { causes.append(event) }
        }
        return ReloadDetail(reload: reload, causes: causes, proxies: try proxyReports(for: reload))
    }
}
