/// One cluster's proxy: the version accumulator now, each frontend with its change since the last reload,
/// and the default backend and networks as that reload gave them.
///
/// This runs for every event that touches a frontend, so it keeps one entry per frontend (one hash lookup
/// per touched frontend); when the event only moved one upstream it edits the frontend's servers and their
/// serialized line in place (``CanonicalFrontend``) rather than assembling and serializing the frontend
/// again, and a reload's diff comes from the moves since the last one.
struct ClusterProxy: Sendable {
    let cluster: String
    private var accumulator: ConfigVersion.Accumulator
    private var frontends: [FrontendKey: Entry] = [:]
    /// How many frontends are in the view now.
    private var served = 0
    private var defaultBackend: [ProxyServer] = []
    private var networks: [NetworkID] = []
    /// What the last reload gave the proxy, for the diff of the next one.
    private var reloadedDefaultBackend: [ProxyServer] = []
    private var reloadedNetworks: [NetworkID] = []
    private(set) var version: ConfigVersion?
    /// Frontends changed since the last reload, in the order they first changed.
    private var dirty: [FrontendKey] = []
    /// Events since the last reload that changed the view (their settle window is the projection's).
    private var causes: [Seq] = []
    /// The buffer a server line or the version's input is serialized into, kept between events.
    private var scratch: [UInt8] = []

    /// One frontend: in the view now, and what changed since the last reload.
    fileprivate struct Entry: Sendable {
        var current: ProxyFrontend?
        /// `current`'s serialization, edited in place by moves.
        var canonical: CanonicalFrontend?
        /// The digest the version holds for it: brought up to date when a reload settles it, so a window
        /// of many moves hashes the frontend once.
        var digest: ConfigVersion.FrontendDigest?
        /// Nil: as the last reload gave it.
        var pending: Pending?
    }

    /// A frontend's change since the last reload.
    fileprivate enum Pending: Sendable {
        /// Only servers moved, the frontend served throughout: the servers that came and went, net (no
        /// server in both), unsorted.
        case moved(added: [ProxyServer], removed: [ProxyServer])
        /// Anything else: the frontend as the last reload gave it (nil: not in the view).
        case reassembled(ProxyFrontend?)
    }

    init(cluster: String) {
        self.cluster = cluster
        accumulator = ConfigVersion.Accumulator(cluster: cluster)
    }

    /// Nothing to remember: no frontend, default backend or network, and never reloaded.
    var isEmpty: Bool { served == 0 && defaultBackend.isEmpty && networks.isEmpty && version == nil && causes.isEmpty }

    /// What a change did to the cluster's proxy.
    enum Update {
        /// The view changed: the cause waits for the next reload.
        case changed
        case unchanged
        /// Unchanged, and the proxy has nothing to remember (``isEmpty``): its caller may drop it.
        case unchangedAndEmpty
    }

    /// Takes the routing's change for this cluster.
    mutating func update(_ change: RoutingChange, routing: RoutingProjection, cause: RecordedEvent) -> Update {
        guard absorb(change, routing: routing) else { return isEmpty ? .unchangedAndEmpty : .unchanged }
        causes.append(cause.seq)
        return .changed
    }

    /// Brings the current view up to the routing for what `change` touched; returns whether it changed.
    private mutating func absorb(_ change: RoutingChange, routing: RoutingProjection) -> Bool {
        var changedThisEvent = false
        let move = change.upstreamMove?.servers
        for key in change.frontends where key.cluster == cluster {
            if absorb(key, move, routing: routing) { changedThisEvent = true }
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

    /// One touched frontend: its servers patched in place by `move` when it has some and keeps some,
    /// assembled again from the routing otherwise. Returns whether it changed.
    private mutating func absorb(_ key: FrontendKey, _ move: RoutingChange.ServerMove?, routing: RoutingProjection) -> Bool {
        guard let index = frontends.index(forKey: key) else {
            guard let new = routing.proxyFrontend(key) else { return false }
            frontends[key] = Entry(current: new, canonical: CanonicalFrontend(new), digest: nil, pending: .reassembled(nil))
            served += 1
            dirty.append(key)
            return true
        }
        // In place: reading the entry out of the dictionary would copy it.
        guard let outcome = frontends.values[index].absorb(key, move, routing: routing, scratch: &scratch) else { return false }
        served += outcome.served
        if outcome.isFirstChange { dirty.append(key) }
        return true
    }

    /// Takes the whole current view as reloaded at `version` (restoring from a snapshot).
    mutating func restore(_ change: RoutingChange, routing: RoutingProjection, version: ConfigVersion) {
        _ = absorb(change, routing: routing)
        var unused = ProxyDiff()
        settleDirty(into: &unused)
        reloadedDefaultBackend = defaultBackend
        reloadedNetworks = networks
        self.version = version
    }

    /// Counts every changed frontend as reloaded as it is now: its digest brought into the version (once per
    /// window, however many moves it saw) and its change added to `diff`.
    private mutating func settleDirty(into diff: inout ProxyDiff) {
        for key in dirty {
            // In place: reading the entry out of the dictionary would copy it.
            guard let index = frontends.index(forKey: key) else { continue }
            let (old, new, gone) = frontends.values[index].settle(key, into: &diff)
            if let old { accumulator.frontends.subtract(old) }
            if let new { accumulator.frontends.add(new) }
            if gone { frontends.remove(at: index) }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// Ends the pending changes: a reload at `seq` and `logTime` when the version differs from the last
    /// reload's (nil when the changes were undone). Returns the causes it settles, and whether the proxy
    /// then has nothing to remember (``isEmpty``: its caller may drop it).
    mutating func reload(id: Int, seq: Seq, logTime: Timestamp) -> (reload: Reload?, causes: [Seq], isEmpty: Bool) {
        let settled = causes
        causes = []
        // One pass over the frontends that changed: each brings its digest up to date, adds to the diff (kept
        // only if the version moved), and is settled as reloaded.
        var diff = ProxyDiff()
        settleDirty(into: &diff)
        let next = accumulator.version(scratch: &scratch)
        guard next != version else { return (nil, settled, isEmpty) }
        if defaultBackend != reloadedDefaultBackend { diff.defaultBackend = (reloadedDefaultBackend, defaultBackend) }
        if networks != reloadedNetworks {
            diff.networksAdded = networks.filter { !reloadedNetworks.contains($0) }
            diff.networksRemoved = reloadedNetworks.filter { !networks.contains($0) }
        }
        diff.sort()
        let reload = Reload(id: id, cluster: cluster, seq: seq, logTime: logTime,
                            previousVersion: version, version: next, causes: settled, diff: diff)
        reloadedDefaultBackend = defaultBackend
        reloadedNetworks = networks
        version = next
        return (reload, settled, isEmpty)
    }
}

extension ClusterProxy.Entry {
    /// What absorbing a change did to a frontend that changed.
    struct Outcome {
        /// +1: it entered the view, -1: it left, 0: neither.
        var served: Int
        /// Whether it is its first change since the last reload.
        var isFirstChange: Bool
    }

    /// Brings the frontend up to the routing for a change that touched it: its servers patched in place by
    /// `move` when it has some and keeps some, assembled again from the routing otherwise. Nil when it did
    /// not change.
    mutating func absorb(_ key: FrontendKey, _ move: RoutingChange.ServerMove?, routing: RoutingProjection,
                         scratch: inout [UInt8]) -> Outcome? {
        var outcome = Outcome(served: 0, isFirstChange: pending == nil)
        if let move, current != nil {
            if move.removed == move.added { return nil }
            if patch(move, scratch: &scratch) {
                record(move)
                return outcome
            }
        }
        let new = routing.proxyFrontend(key)
        guard new != current else { return nil }
        outcome.served = (new == nil ? 0 : 1) - (current == nil ? 0 : 1)
        reassemble(new)
        canonical = new.map(CanonicalFrontend.init)
        return outcome
    }

    /// Applies `move` to the servers in place; false (nothing changed) when the server to remove is not
    /// there or no server would be left: the caller assembles the frontend again.
    mutating func patch(_ move: RoutingChange.ServerMove, scratch: inout [UInt8]) -> Bool {
        guard let count = current?.servers.count, canonical != nil else { return false }
        var position: Int?
        if let removed = move.removed {
            position = current!.servers.sortedIndex(of: removed)
            guard position != nil, count > 1 || move.added != nil else { return false }
        }
        if let position {
            current!.servers.remove(at: position)
            canonical!.removeServer(at: position)
        }
        if let added = move.added {
            let index = current!.servers.insertionIndex(of: added)
            current!.servers.insert(added, at: index)
            canonical!.insertServer(added, at: index, scratch: &scratch)
        }
        return true
    }

    /// Counts the frontend as reloaded as it is now: adds its change since the last reload to `diff`, and
    /// returns its digest as the version last had it and as it is now (nil: not in the view), and whether the
    /// entry has nothing left to remember (the frontend left the view).
    mutating func settle(_ key: FrontendKey, into diff: inout ProxyDiff)
        -> (old: ConfigVersion.FrontendDigest?, new: ConfigVersion.FrontendDigest?, gone: Bool) {
        switch pending {
        case .moved(let added, let removed)?: diff.record(key, moved: added, removed, count: current?.servers.count ?? 0)
        case .reassembled(let before)?: diff.record(key, from: before, to: current)
        case nil: return (nil, nil, current == nil)
        }
        let old = digest
        digest = canonical?.digest
        pending = nil
        return (old, digest, current == nil)
    }

    /// Remembers a patched move for the next reload's diff.
    mutating func record(_ move: RoutingChange.ServerMove) {
        switch pending {
        case nil:
            pending = .moved(added: move.added.map { [$0] } ?? [], removed: move.removed.map { [$0] } ?? [])
        case .moved(var added, var removed)?:
            pending = nil  // one reference to the lists, so they grow in place
            if let server = move.removed {
                if let i = added.firstIndex(of: server) { added.remove(at: i) } else { removed.append(server) }
            }
            if let server = move.added {
                if let i = removed.firstIndex(of: server) { removed.remove(at: i) } else { added.append(server) }
            }
            pending = .moved(added: added, removed: removed)
        case .reassembled?:
            break
        }
    }

    /// Sets the frontend assembled again, remembering the one the last reload gave (undoing the moves
    /// since then, when there were only moves).
    mutating func reassemble(_ new: ProxyFrontend?) {
        switch pending {
        case nil:
            pending = .reassembled(current)
        case .moved(let added, let removed)?:
            var old = current!
            for server in added { if let i = old.servers.sortedIndex(of: server) { old.servers.remove(at: i) } }
            for server in removed { old.servers.insert(server, at: old.servers.insertionIndex(of: server)) }
            pending = .reassembled(old)
        case .reassembled?:
            break
        }
        current = new
    }
}

extension Array where Element == ProxyServer {
    /// Where `server` goes in this sorted list: after every server that sorts before it.
    func insertionIndex(of server: ProxyServer) -> Int {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < server { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The position of `server` in this sorted list, if it is there.
    func sortedIndex(of server: ProxyServer) -> Int? {
        let index = insertionIndex(of: server)
        return index < endIndex && self[index] == server ? index : nil
    }
}
