import RouteLedgerJSON

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
        guard waiting.isEmpty, windows.isEmpty else { return nil }
        let versions = clusters.keys.sorted().compactMap { cluster in
            clusters[cluster]?.version.map { JSONMember(cluster, .string($0.hex)) }
        }
        return Array(JSONValue.object([
            JSONMember("state", routing.state.snapshotJSON),
            JSONMember("nextReloadID", .number(String(nextReloadID))),
            JSONMember("versions", .object(versions)),
        ]).formatted(pretty: false).utf8)
    }

    /// The parts of a snapshot, read in one pass.
    private struct Parts {
        var state: ClusterState?
        var nextReloadID: Int?
        var versions: [(String, ConfigVersion)] = []

        init(_ bytes: [UInt8]) throws {
            self = try bytes.withUnsafeBytes { buffer in
                try JSONReader.read(buffer) { r in
                    var parts = Parts()
                    try r.beginObject()
                    while let key = try r.nextKey() {
                        switch key {
                        case "state": parts.state = try ClusterState(reading: &r)
                        case "nextReloadID": parts.nextReloadID = Int(try r.readNumber())
                        case "versions":
                            try r.beginObject()
                            while let cluster = try r.nextKey() { parts.versions.append((cluster, ConfigVersion(hex: try r.readString()))) }
                        default: try r.skipValue()
                        }
                    }
                    guard parts.state != nil, parts.nextReloadID != nil else {
                        throw EventValidationError(location: nil, field: nil, reason: "not a reload projection snapshot")
                    }
                    return parts
                }
            }
        }

        private init() {}
    }

    /// Only the routing of a reload projection snapshot (what a routing query needs; no proxy digests).
    public static func routing(fromSnapshot bytes: [UInt8]) throws -> RoutingProjection {
        RoutingProjection(state: try Parts(bytes).state!)
    }

    /// The projection a snapshot holds, continuing with `settings`.
    public init(snapshot bytes: [UInt8], settings: ReloadSettings, tracksEffects: Bool = true) throws {
        let parts = try Parts(bytes)
        self.init(settings: settings, tracksEffects: tracksEffects)
        routing = RoutingProjection(state: parts.state!)
        nextReloadID = parts.nextReloadID!
        for (cluster, version) in parts.versions {
            clusters[cluster] = ClusterProxy(restoring: cluster, version: version, routing: routing)
        }
    }
}

extension ClusterProxy {
    /// A cluster's proxy right after its last reload, which gave it `version`: what the routing shows now.
    init(restoring cluster: String, version: ConfigVersion, routing: RoutingProjection) {
        self.init(cluster: cluster)
        var change = RoutingChange()
        change.frontends = routing.frontendKeys(cluster: cluster)
        change.defaultBackendClusters = [cluster]
        change.networkClusters = [cluster]
        restore(change, routing: routing, version: version)
    }
}
