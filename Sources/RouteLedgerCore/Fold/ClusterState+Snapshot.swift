import RouteLedgerJSON

/// Snapshots: the folded cluster as bytes, so that a point-in-time query loads one snapshot and folds at
/// most a few thousand events instead of the whole log.
///
/// The format is JSON whose parts have the shapes of event format v1 (a service is a `service` payload, a
/// task a `task` payload), so one decoder reads both. Everything the fold derives (label parses, task
/// indexes) is derived again on load.
extension ClusterState {
    /// The snapshot format version; a snapshot of another version is ignored and rebuilt.
    public static let snapshotVersion = 1

    /// Compact JSON with everything sorted by id (labels by key), so equal states give equal bytes.
    public func snapshot() -> [UInt8] { Array(snapshotJSON.formatted(pretty: false).utf8) }

    /// Reads what ``snapshot()`` wrote, in one pass without a JSON tree.
    ///
    /// - Throws: when the bytes are not a snapshot of this version.
    public init(snapshot bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { buffer in try JSONReader.read(buffer) { try ClusterState(reading: &$0) } }
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

    /// The state of the snapshot object the reader stands at, decoded in one pass (no JSON tree): this is
    /// what a point-in-time query waits for.
    init(reading r: inout JSONReader) throws {
        self.init()
        let fields = FieldReader(location: nil)
        var version: Int?
        var seq: Int?
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "version": version = Int(try r.readNumber())
            case "seq": seq = Int(try r.readNumber())
            case "networks":
                try r.beginArray()
                while try r.nextElement() { apply(.networkCreated(try fields.network(&r)), seq: 0) }
            case "services":
                try r.beginArray()
                while try r.nextElement() {
                    var spec: ServiceSpec?, createdAt: Seq?, routingLabels: [String: String]?
                    try r.beginObject()
                    while let member = try r.nextKey() {
                        switch member {
                        case "service": spec = try fields.service(&r)
                        case "createdAt": createdAt = Seq(try r.readNumber())
                        case "routingLabels":
                            if try r.peek() == .null { try r.readNull(); break }
                            var labels: [String: String] = [:]
                            try r.beginObject()
                            while let label = try r.nextKey() { labels[label] = try r.readString() }
                            routingLabels = labels
                        default: try r.skipValue()
                        }
                    }
                    guard let spec, let createdAt else { throw Self.notASnapshot }
                    let labels = LabelParser.parse(spec.labels, service: spec.name)
                    // Usually the routing in force comes from the current labels: parse them once.
                    let routing = routingLabels == spec.labels ? labels.routing
                        : routingLabels.flatMap { LabelParser.parse($0, service: spec.name).routing }
                    services[spec.id] = ServiceRecord(spec: spec, createdAt: createdAt, labels: labels, routing: routing,
                                                      routingLabels: routingLabels)
                }
            case "tasks":
                try r.beginArray()
                while try r.nextElement() { updateTask(try fields.task(&r)) }
            default:
                try r.skipValue()
            }
        }
        guard version == Self.snapshotVersion, let seq else { throw Self.notASnapshot }
        self.seq = Seq(seq)
    }

    private static var notASnapshot: EventValidationError {
        EventValidationError(location: nil, field: "version", reason: "not a snapshot of version \(snapshotVersion)")
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
