/// One frontend of a host and its servers after a reload (`routeledger timeline`, the `frontends` of a
/// marker in `GET /v1/timeline`).
public struct FrontendServerList: Sendable, Hashable {
    /// The frontend, as ``DiffText/frontend(_:)`` names it (`shop.local`, `shop.local/api [edge]`).
    public var frontend: String
    /// The servers' addresses, sorted; empty when the frontend left the configuration.
    public var servers: [String]

    public init(frontend: String, servers: [String]) {
        self.frontend = frontend
        self.servers = servers
    }
}

/// The server addresses of each frontend of one host, carried from reload to reload by the stored diffs
/// alone (no replay): the projection behind `routeledger timeline` and the marker lists of
/// `GET /v1/timeline`. It starts empty (at the log's start) or from the frontends at a point.
public struct HostServers: Sendable {
    /// The host, lowercased.
    public let host: String
    private var servers: [String: [String]] = [:]

    /// Starts from `frontends` (those of other hosts are ignored).
    public init(host: String, frontends: [ProxyFrontend] = []) {
        self.host = host.lowercased()
        for frontend in frontends where frontend.key.host == self.host {
            servers[DiffText.frontend(frontend.key)] = frontend.servers.map(\.address).sorted()
        }
    }

    /// Takes one reload's diff; returns each frontend of the host it changed, with its servers after it,
    /// by name.
    public mutating func apply(_ diff: ProxyDiff) -> [FrontendServerList] {
        for key in diff.frontendsRemoved where key.host == host { servers[DiffText.frontend(key)] = [] }
        for change in diff.upstreams where change.key.host == host {
            let name = DiffText.frontend(change.key)
            var list = servers[name] ?? []
            for removed in change.removed {
                if let i = list.firstIndex(of: removed.address) { list.remove(at: i) }
            }
            list += change.added.map(\.address)
            servers[name] = list.sorted()
        }
        let touched = Set((diff.frontendsAdded + diff.frontendsRemoved + diff.upstreams.map(\.key) + diff.options.map(\.key))
            .filter { $0.host == host }.map(DiffText.frontend))
        return touched.sorted().compactMap { name in servers[name].map { FrontendServerList(frontend: name, servers: $0) } }
    }
}
