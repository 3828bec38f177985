import RouteLedgerCore
import RouteLedgerJSON

extension EventLog {
    /// A name book for describing the events after `first` through `last`: it knows the cluster as it
    /// stood at `first` (the latest snapshot, then the events after it) and learns each event through `last`.
    public func names(after first: Seq, through last: Seq) throws -> NameBook {
        try read { connection in try Self.names(connection, after: first, through: last) }
    }

    static func names(_ connection: any StoreConnection, after first: Seq, through last: Seq) throws -> NameBook {
        let (projection, start) = try Self.routingStartingPoint(connection, atOrBefore: first)
        var state = projection.state
        var names: NameBook?
        if start >= first { names = NameBook(state) }
        try connection.forEach("SELECT \(recordedEventColumns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                               [.integer(start), .integer(max(first, last))]) { row in
            let event = try Self.recordedEvent(row)
            if names != nil {
                names?.learn(event.event)
            } else {
                state.apply(event.event, seq: event.seq)
                if event.seq == first { names = NameBook(state) }
            }
        }
        return names ?? NameBook(state)
    }
}

extension EventLog {
    /// A name book for the networks of `reloads`' diffs (nothing to look up when none joined or left one).
    public func names(for reloads: [StoredReload]) throws -> NameBook {
        let withNetworks = reloads.filter { !$0.networks.isEmpty }
        guard let first = withNetworks.first, let last = withNetworks.last else { return NameBook() }
        return try names(after: (first.causes.first ?? first.seq) - 1, through: last.seq)
    }

    /// Events after `after`, at most `limit`, as `events --json` gives them: each with `names`.
    public func eventsJSON(after: Seq, limit: Int) throws -> [JSONValue] {
        var names = try names(after: after, through: after)
        return try events(after: after, limit: limit).map { event in
            let typed = try? event.clusterEvent
            if let typed { names.learn(typed) }
            return try event.json(names: names, typed: typed)
        }
    }
}

extension StoredEvent {
    /// The documented JSON with `names`: `{id: name}` for the ids its data holds (`typed`: its payload,
    /// when the caller decoded it already).
    public func json(names: NameBook, typed: ClusterEvent?) throws -> JSONValue {
        guard case .object(var members) = try json else { return try json }
        members.append(JSONMember("names", typed.map(names.json(for:)) ?? .object([])))
        return .object(members)
    }
}
