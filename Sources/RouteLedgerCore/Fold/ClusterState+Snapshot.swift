/// Snapshots: the folded cluster as bytes, so that a point-in-time query loads one snapshot and folds at
/// most a few thousand events instead of the whole log.
///
/// The format is JSON whose parts have the shapes of event format v1 (a service is a `service` payload, a
/// task a `task` payload), so one decoder reads both. Everything the fold derives (label parses, task
/// indexes) is derived again on load.
extension ClusterState {
    /// The snapshot format version; a snapshot of another version is ignored and rebuilt.
    public static let snapshotVersion = 1

    /// The state as snapshot bytes.
    public func snapshot() -> [UInt8] { Array(snapshotJSON.formatted(pretty: false).utf8) }

    /// The state a snapshot holds.
    ///
    /// - Throws: when the bytes are not a snapshot of this version.
    public init(snapshot bytes: [UInt8]) throws {
        try self.init(snapshotJSON: try JSONParser.parse(bytes))
    }

    /// The state as the snapshot's JSON.
    var snapshotJSON: JSONValue {
        let networks = self.networks.values.sorted { $0.id < $1.id }.map(\.json)
        let services = self.services.values.sorted { $0.spec.id < $1.spec.id }.map { record in
            JSONValue.object([
                JSONMember("service", record.spec.json),
                JSONMember("createdAt", .number(String(record.createdAt))),
                JSONMember("routingLabels", record.routingLabels.map(Self.labelsJSON) ?? .null),
            ])
        }
        let tasks = self.tasks.values.sorted { $0.id < $1.id }.map(\.json)
        return JSONValue.object([
            JSONMember("version", .number(String(Self.snapshotVersion))),
            JSONMember("seq", .number(String(seq))),
            JSONMember("networks", .array(networks)),
            JSONMember("services", .array(services)),
            JSONMember("tasks", .array(tasks)),
        ])
    }

    /// The state a snapshot's JSON holds.
    init(snapshotJSON value: JSONValue) throws {
        guard value["version"]?.intValue == Self.snapshotVersion, let seq = value["seq"]?.intValue else {
            throw EventValidationError(location: nil, field: "version", reason: "not a snapshot of version \(Self.snapshotVersion)")
        }
        self.init()
        for network in value["networks"]?.arrayValue ?? [] {
            guard case .networkCreated(let decoded) = try Self.decode(.networkCreated, ["network": network]) else { continue }
            apply(.networkCreated(decoded), seq: 0)
        }
        for entry in value["services"]?.arrayValue ?? [] {
            guard let service = entry["service"], let createdAt = entry["createdAt"]?.intValue,
                  case .serviceCreated(let spec) = try Self.decode(.serviceCreated, ["service": service]) else { continue }
            var record = ServiceRecord(spec: spec, createdAt: Seq(createdAt), labels: LabelParser.parse(spec.labels, service: spec.name),
                                       routing: nil, routingLabels: nil)
            if let labels = entry["routingLabels"]?.objectValue {
                var map: [String: String] = [:]
                for member in labels { map[member.key] = member.value.stringValue }
                record.routingLabels = map
                record.routing = LabelParser.parse(map, service: spec.name).routing
            }
            services[spec.id] = record
        }
        for task in value["tasks"]?.arrayValue ?? [] {
            guard case .taskUpdated(let decoded) = try Self.decode(.taskUpdated, ["task": task]) else { continue }
            updateTask(decoded)
        }
        self.seq = Seq(seq)
    }

    private static func decode(_ type: EventType, _ members: KeyValuePairs<String, JSONValue>) throws -> ClusterEvent {
        let bytes = JSONValue.object(members.map { JSONMember($0.key, $0.value) }).canonicalBytes
        return try bytes.withUnsafeBytes { try EventDecoder.payload(type: type, data: $0) }
    }

    static func labelsJSON(_ labels: [String: String]) -> JSONValue {
        .object(labels.keys.sorted().map { JSONMember($0, .string(labels[$0]!)) })
    }
}

extension Network {
    /// The `network` payload of a `network.created` event.
    var json: JSONValue {
        .object([JSONMember("id", .string(id.rawValue)), JSONMember("name", .string(name)),
                 JSONMember("driver", driver.map(JSONValue.string) ?? .null), JSONMember("ingress", .bool(ingress))])
    }
}

extension NetworkAddress {
    var json: JSONValue { .object([JSONMember("networkId", .string(networkID.rawValue)), JSONMember("addr", .string(cidr))]) }
}

extension ServiceSpec {
    /// The `service` payload of a `service.created` event.
    var json: JSONValue {
        .object([
            JSONMember("id", .string(id.rawValue)), JSONMember("name", .string(name)),
            JSONMember("labels", ClusterState.labelsJSON(labels)),
            JSONMember("replicas", replicas.map { .number(String($0)) } ?? .null),
            JSONMember("networks", .array(networks.map { .string($0.rawValue) })),
            JSONMember("vips", .array(vips.map(\.json))),
            JSONMember("image", image.map(JSONValue.string) ?? .null),
            JSONMember("env", env.map { .array($0.map(JSONValue.string)) } ?? .null),
        ])
    }
}

extension SwarmTask {
    /// The `task` payload of a `task.updated` event.
    var json: JSONValue {
        .object([
            JSONMember("id", .string(id.rawValue)), JSONMember("serviceId", .string(serviceID.rawValue)),
            JSONMember("slot", slot.map { .number(String($0)) } ?? .null),
            JSONMember("nodeId", nodeID.map(JSONValue.string) ?? .null),
            JSONMember("state", .string(state.rawValue)), JSONMember("desiredState", .string(desiredState.rawValue)),
            JSONMember("addresses", .array(addresses.map(\.json))),
        ])
    }
}
