/// What changed in one cluster's proxy configuration between two reloads.
public struct ProxyDiff: Sendable, Hashable {
    /// Servers added to and removed from one frontend, with each server's share before and after.
    public struct UpstreamChange: Sendable, Hashable {
        public var key: FrontendKey
        /// Servers that appeared.
        public var added: [ProxyServer]
        /// Servers that went away.
        public var removed: [ProxyServer]
        /// The share of each server before (1/n), nil when the frontend did not exist.
        public var shareBefore: Double?
        /// The share of each server after, nil when the frontend is gone.
        public var shareAfter: Double?
    }

    /// A frontend option that changed.
    public struct OptionChange: Sendable, Hashable {
        public var key: FrontendKey
        /// `sticky`, `ipHash`, `contextRootRewrite`, `redirects`, `websocketEndpoints`, and the TLS settings:
        /// `tlsCertificate`, `tlsKey` (secret names, `none`), `sslOnly`, `sslBackend`, `sslBackendVerify`
        /// (`none`, `required`), `sslPassthrough`.
        public var option: String
        /// The value before, as text.
        public var before: String
        /// The value after, as text.
        public var after: String
    }

    /// Frontends that appeared.
    public var frontendsAdded: [FrontendKey] = []
    /// Frontends that went away.
    public var frontendsRemoved: [FrontendKey] = []
    /// Server changes per frontend.
    public var upstreams: [UpstreamChange] = []
    /// Option changes per frontend.
    public var options: [OptionChange] = []
    /// The default backend's servers before and after, when they changed.
    public var defaultBackend: (before: [ProxyServer], after: [ProxyServer])?
    /// Networks the proxy must now join.
    public var networksAdded: [NetworkID] = []
    /// Networks the proxy may now leave.
    public var networksRemoved: [NetworkID] = []

    /// No change.
    public init() {}

    /// Whether nothing changed.
    public var isEmpty: Bool {
        frontendsAdded.isEmpty && frontendsRemoved.isEmpty && upstreams.isEmpty && options.isEmpty
            && defaultBackend == nil && networksAdded.isEmpty && networksRemoved.isEmpty
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.frontendsAdded == rhs.frontendsAdded && lhs.frontendsRemoved == rhs.frontendsRemoved
            && lhs.upstreams == rhs.upstreams && lhs.options == rhs.options
            && lhs.defaultBackend?.before == rhs.defaultBackend?.before && lhs.defaultBackend?.after == rhs.defaultBackend?.after
            && lhs.networksAdded == rhs.networksAdded && lhs.networksRemoved == rhs.networksRemoved
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(frontendsAdded)
        hasher.combine(frontendsRemoved)
        hasher.combine(upstreams)
        hasher.combine(options)
        hasher.combine(defaultBackend?.before)
        hasher.combine(defaultBackend?.after)
        hasher.combine(networksAdded)
        hasher.combine(networksRemoved)
    }

    /// Adds the change of one frontend (nil: absent) to the diff.
    mutating func record(_ key: FrontendKey, from old: ProxyFrontend?, to new: ProxyFrontend?) {
        guard old != new else { return }
        if old == nil { frontendsAdded.append(key) }
        if new == nil { frontendsRemoved.append(key) }
        let before = old?.servers ?? [], after = new?.servers ?? []
        let added = Self.subtracting(after, before), removed = Self.subtracting(before, after)
        if !added.isEmpty || !removed.isEmpty || (old != nil && new != nil && before.count != after.count) {
            upstreams.append(UpstreamChange(key: key, added: added, removed: removed,
                                            shareBefore: old.map { 1 / Double(max($0.servers.count, 1)) },
                                            shareAfter: new.map { 1 / Double(max($0.servers.count, 1)) }))
        }
        guard let old, let new else { return }
        // Options rarely change: compare values, and spell them out only when they differ.
        func option(_ name: String, _ differ: Bool, _ text: (ProxyFrontend) -> String) {
            if differ { options.append(OptionChange(key: key, option: name, before: text(old), after: text(new))) }
        }
        option("sticky", old.stickyCookie != new.stickyCookie) { $0.stickyCookie ?? "none" }
        option("ipHash", old.ipHash != new.ipHash) { String($0.ipHash) }
        option("contextRootRewrite", old.contextRootRewrite != new.contextRootRewrite) { String($0.contextRootRewrite) }
        option("redirects", old.redirects != new.redirects) { $0.redirects.map { "\($0.source)->\($0.target)" }.joined(separator: ",") }
        option("websocketEndpoints", old.websocketEndpoints != new.websocketEndpoints) { $0.websocketEndpoints.joined(separator: ",") }
        if old.tls != new.tls {
            let before = old.tls ?? TLSSettings(), after = new.tls ?? TLSSettings()
            func tls(_ name: String, _ text: (TLSSettings) -> String) {
                if text(before) != text(after) { options.append(OptionChange(key: key, option: name, before: text(before), after: text(after))) }
            }
            tls("tlsCertificate") { $0.certificate ?? "none" }
            tls("tlsKey") { $0.key ?? "none" }
            tls("sslOnly") { String($0.only) }
            tls("sslBackend") { String($0.backend) }
            tls("sslBackendVerify") { $0.verify.rawValue }
            tls("sslPassthrough") { String($0.passthrough) }
        }
    }

    /// Adds the change of a frontend served before and after whose servers only moved: `added` and
    /// `removed` net of each other (in any order), `count` servers after.
    mutating func record(_ key: FrontendKey, moved added: [ProxyServer], _ removed: [ProxyServer], count: Int) {
        guard !added.isEmpty || !removed.isEmpty else { return }
        let before = count - added.count + removed.count
        upstreams.append(UpstreamChange(key: key, added: added.count > 1 ? added.sorted() : added,
                                        removed: removed.count > 1 ? removed.sorted() : removed,
                                        shareBefore: 1 / Double(max(before, 1)), shareAfter: 1 / Double(max(count, 1))))
    }

    /// Puts the parts in a stable order.
    mutating func sort() {
        frontendsAdded.sort()
        frontendsRemoved.sort()
        upstreams.sort { $0.key < $1.key }
        options.sort { ($0.key, $0.option) < ($1.key, $1.option) }
    }

    /// Multiset difference, keeping order: one walk when both are sorted (as a frontend's servers are).
    private static func subtracting(_ a: [ProxyServer], _ b: [ProxyServer]) -> [ProxyServer] {
        if isSorted(a) && isSorted(b) {
            var result: [ProxyServer] = []
            var j = b.startIndex
            for server in a {
                while j < b.endIndex && b[j] < server { j += 1 }
                if j < b.endIndex && b[j] == server { j += 1 } else { result.append(server) }
            }
            return result
        }
        var remaining = b
        return a.filter { server in
            if let index = remaining.firstIndex(of: server) {
                remaining.remove(at: index)
                return false
            }
            return true
        }
    }
}

private func isSorted(_ servers: [ProxyServer]) -> Bool {
    zip(servers, servers.dropFirst()).allSatisfy { !($1 < $0) }
}

private func < (lhs: (FrontendKey, String), rhs: (FrontendKey, String)) -> Bool {
    lhs.0 != rhs.0 ? lhs.0 < rhs.0 : lhs.1 < rhs.1
}

extension ProxyDiff {
    /// The change from one proxy view to another (of the same cluster).
    public init(from old: ProxyView, to new: ProxyView) {
        self.init()
        let before = Dictionary(old.frontends.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.frontends.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for key in Set(before.keys).union(after.keys) { record(key, from: before[key], to: after[key]) }
        if old.defaultBackend != new.defaultBackend { defaultBackend = (old.defaultBackend, new.defaultBackend) }
        networksAdded = new.networks.filter { !old.networks.contains($0) }
        networksRemoved = old.networks.filter { !new.networks.contains($0) }
        sort()
    }
}
