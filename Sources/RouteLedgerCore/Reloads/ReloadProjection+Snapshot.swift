extension RoutingProjection {
    /// The projection of a folded state, built from scratch (after loading a snapshot).
    public init(state: ClusterState) {
        self.init()
        self.state = state
        var ignored = RoutingChange()
        for id in state.services.keys.sorted() { refresh(id, into: &ignored) }
    }
}

extension ReloadProjection {
    /// The projection as snapshot bytes; nil while a settle window is open (the pending changes and their
    /// causes are not part of a snapshot, so snapshots are taken between windows).
    public func snapshot() -> [UInt8]? {
        guard waiting.isEmpty, !clusters.values.contains(where: \.hasPending) else { return nil }
        let versions = clusters.keys.sorted().compactMap { cluster in
            clusters[cluster]?.version.map { JSONMember(cluster, .string($0.hex)) }
        }
        return Array(JSONValue.object([
            JSONMember("state", routing.state.snapshotJSON),
            JSONMember("nextReloadID", .number(String(nextReloadID))),
            JSONMember("versions", .object(versions)),
        ]).formatted(pretty: false).utf8)
    }

    /// Only the routing of a reload projection snapshot (what a routing query needs; no proxy digests).
    public static func routing(fromSnapshot bytes: [UInt8]) throws -> RoutingProjection {
        guard let state = try JSONParser.parse(bytes)["state"] else {
            throw EventValidationError(location: nil, field: nil, reason: "not a reload projection snapshot")
        }
        return RoutingProjection(state: try ClusterState(snapshotJSON: state))
    }

    /// The projection a snapshot holds, continuing with `settings`.
    public init(snapshot bytes: [UInt8], settings: ReloadSettings) throws {
        let value = try JSONParser.parse(bytes)
        guard let state = value["state"], let next = value["nextReloadID"]?.intValue else {
            throw EventValidationError(location: nil, field: nil, reason: "not a reload projection snapshot")
        }
        self.init(settings: settings)
        routing = RoutingProjection(state: try ClusterState(snapshotJSON: state))
        nextReloadID = next
        for member in value["versions"]?.objectValue ?? [] {
            guard let hex = member.value.stringValue else { continue }
            clusters[member.key] = ClusterProxy(restoring: member.key, version: ConfigVersion(hex: hex), routing: routing)
        }
    }
}

extension ClusterProxy {
    /// A cluster's proxy right after its last reload, which gave it `version`: what the routing shows now.
    init(restoring cluster: String, version: ConfigVersion, routing: RoutingProjection) {
        self.init(cluster: cluster)
        var change = RoutingChange()
        change.frontends = Set(routing.frontendKeys(cluster: cluster))
        change.defaultBackendClusters = [cluster]
        change.networkClusters = [cluster]
        restore(change, routing: routing, version: version)
    }
}
