import RouteLedgerCore
import RouteLedgerJSON

/// Reads the Docker Engine API's JSON, in the shapes of moby's `api/swagger.yaml`, into the routing model.
///
/// One pass with the core's pull reader: the fields routing needs are built, everything else (resources,
/// placement, update config, IPAM, …) is validated and skipped. Unknown members are ignored, as the API's
/// "open schema model" asks of clients.
public enum MobyJSON {
    /// `GET /networks`: every network, of every scope.
    public static func networks(_ bytes: [UInt8], request: String = "GET /networks") throws -> [DockerNetwork] {
        try reading(bytes, request) { r in
            var networks: [DockerNetwork] = []
            try array(&r) { _, r in networks.append(try network(&r)) }
            return networks
        }
    }

    /// `GET /services`: every service; what cannot be represented is left out and named in `skipped`.
    public static func services(_ bytes: [UInt8], skipped: inout [String], request: String = "GET /services") throws -> [DockerService] {
        var notes: [String] = []
        let services = try reading(bytes, request) { r in
            var services: [DockerService] = []
            try array(&r) { _, r in services.append(try service(&r, skipped: &notes)) }
            return services
        }
        skipped += notes
        return services
    }

    /// `GET /tasks`: every task of a service (network attachment tasks of standalone containers, which have no
    /// service, are left out); tasks or addresses that cannot be represented are left out and named in `skipped`.
    public static func tasks(_ bytes: [UInt8], skipped: inout [String], request: String = "GET /tasks") throws -> [DockerTask] {
        var notes: [String] = []
        let tasks = try reading(bytes, request) { r in
            var tasks: [DockerTask] = []
            try array(&r) { _, r in
                if let task = try task(&r, skipped: &notes) { tasks.append(task) }
            }
            return tasks
        }
        skipped += notes
        return tasks
    }

    /// `GET /version`.
    public static func version(_ bytes: [UInt8], request: String = "GET /version") throws -> DockerVersionInfo {
        try reading(bytes, request) { r in
            var engine: String?, api: String?, minimum: String?
            try object(&r) { key, r in
                switch key {
                case "Version": engine = try string(&r)
                case "ApiVersion": api = try string(&r)
                case "MinAPIVersion": minimum = try string(&r)
                default: try r.skipValue()
                }
            }
            guard let api else { throw ShapeError(path: ["ApiVersion"], reason: "required field is missing") }
            guard let version = DockerAPIVersion(api) else {
                throw ShapeError(path: ["ApiVersion"], reason: "\"\(api)\" is not an API version like 1.47")
            }
            return DockerVersionInfo(engineVersion: engine, apiVersion: version, minimumAPIVersion: minimum.flatMap(DockerAPIVersion.init))
        }
    }

    /// One message of the `GET /events` stream.
    public static func eventMessage(_ bytes: [UInt8], request: String = "GET /events") throws -> DockerEventMessage {
        try reading(bytes, request) { r in
            var type = "", action = "", actor: String?, attributes: [String: String] = [:]
            try object(&r) { key, r in
                switch key {
                case "Type": type = try string(&r) ?? ""
                case "Action": action = try string(&r) ?? ""
                case "Actor":
                    try object(&r) { key, r in
                        switch key {
                        case "ID": actor = try string(&r)
                        case "Attributes": attributes = try stringMap(&r)
                        default: try r.skipValue()
                        }
                    }
                default: try r.skipValue()
                }
            }
            return DockerEventMessage(type: type, action: action, actorID: actor, attributes: attributes)
        }
    }

    /// The `message` of an Engine API error body (`{"message": "…"}`), when the body is one.
    public static func errorMessage(_ bytes: [UInt8]) -> String? {
        try? reading(bytes, "") { r in
            var message: String?
            try object(&r) { key, r in
                if key == "message" { message = try string(&r) } else { try r.skipValue() }
            }
            return message
        }
    }

    // MARK: - Objects

    static func network(_ r: inout JSONReader) throws -> DockerNetwork {
        var id: String?, name: String?, driver: String?, scope: String?, ingress = false, created: Timestamp?
        try object(&r) { key, r in
            switch key {
            case "Id": id = try string(&r)
            case "Name": name = try string(&r)
            case "Driver": driver = try string(&r)
            case "Scope": scope = try string(&r)
            case "Ingress": ingress = try bool(&r) ?? false
            case "Created": created = try time(&r)
            default: try r.skipValue()
            }
        }
        guard let id, !id.isEmpty else { throw ShapeError(path: ["Id"], reason: "required field is missing or empty") }
        guard let name, !name.isEmpty else { throw ShapeError(path: ["Name"], reason: "required field is missing or empty") }
        return DockerNetwork(network: Network(id: NetworkID(id), name: name, driver: driver.flatMap { $0.isEmpty ? nil : $0 },
                                              ingress: ingress),
                             scope: scope, created: created)
    }

    static func service(_ r: inout JSONReader, skipped: inout [String]) throws -> DockerService {
        var id: String?, version: UInt64?, createdAt: Timestamp?, updatedAt: Timestamp?
        var name: String?, labels: [String: String] = [:], replicas: Int?, image: String?, env: [String]?
        var templateNetworks: [String]?, specNetworks: [String]?
        var vips: [(network: String, addr: String)] = []
        try object(&r) { key, r in
            switch key {
            case "ID": id = try string(&r)
            case "Version": version = try objectVersion(&r)
            case "CreatedAt": createdAt = try time(&r)
            case "UpdatedAt": updatedAt = try time(&r)
            case "Spec":
                try object(&r) { key, r in
                    switch key {
                    case "Name": name = try string(&r)
                    case "Labels": labels = try stringMap(&r)
                    case "TaskTemplate":
                        try object(&r) { key, r in
                            switch key {
                            case "ContainerSpec":
                                try object(&r) { key, r in
                                    switch key {
                                    case "Image": image = try string(&r)
                                    case "Env": env = try stringList(&r)
                                    default: try r.skipValue()
                                    }
                                }
                            case "Networks": templateNetworks = try attachmentTargets(&r)
                            default: try r.skipValue()
                            }
                        }
                    case "Mode":
                        try object(&r) { key, r in
                            guard key == "Replicated" else { return try r.skipValue() }
                            try object(&r) { key, r in
                                if key == "Replicas" { replicas = try int(&r) } else { try r.skipValue() }
                            }
                        }
                    // Deprecated since API 1.44 in favour of TaskTemplate.Networks; older daemons may fill it.
                    case "Networks": specNetworks = try attachmentTargets(&r)
                    default: try r.skipValue()
                    }
                }
            case "Endpoint":
                try object(&r) { key, r in
                    guard key == "VirtualIPs" else { return try r.skipValue() }
                    try array(&r) { _, r in
                        var network: String?, addr: String?
                        try object(&r) { key, r in
                            switch key {
                            case "NetworkID": network = try string(&r)
                            case "Addr": addr = try string(&r)
                            default: try r.skipValue()
                            }
                        }
                        if let network, !network.isEmpty { vips.append((network, addr ?? "")) }
                    }
                }
            default: try r.skipValue()
            }
        }
        guard let id, !id.isEmpty else { throw ShapeError(path: ["ID"], reason: "required field is missing or empty") }
        guard let name, !name.isEmpty else { throw ShapeError(path: ["Spec", "Name"], reason: "required field is missing or empty") }
        var addresses: [NetworkAddress] = []
        for vip in vips {
            if NetworkAddress.isValid(cidr: vip.addr) {
                addresses.append(NetworkAddress(networkID: NetworkID(vip.network), cidr: vip.addr))
            } else {
                skipped.append("service \(name) (\(id)): VIP \"\(vip.addr)\" on network \(vip.network) is not an IP address; left out")
            }
        }
        let networks = (templateNetworks ?? specNetworks ?? []).map(NetworkID.init)
        let spec = ServiceSpec(id: ServiceID(id), name: name, labels: labels, replicas: replicas, networks: networks,
                               vips: addresses, image: image, env: env)
        return DockerService(spec: spec, version: version ?? 0, createdAt: createdAt, updatedAt: updatedAt)
    }

    static func task(_ r: inout JSONReader, skipped: inout [String]) throws -> DockerTask? {
        var id: String?, version: UInt64?, updatedAt: Timestamp?, serviceID: String?, slot: Int?, nodeID: String?
        var state: String?, statusTimestamp: Timestamp?, desiredState: String?
        var attachments: [(network: String, addresses: [String])] = []
        try object(&r) { key, r in
            switch key {
            case "ID": id = try string(&r)
            case "Version": version = try objectVersion(&r)
            case "UpdatedAt": updatedAt = try time(&r)
            case "ServiceID": serviceID = try string(&r)
            case "Slot": slot = try int(&r)
            case "NodeID": nodeID = try string(&r)
            case "Status":
                try object(&r) { key, r in
                    switch key {
                    case "State": state = try string(&r)
                    case "Timestamp": statusTimestamp = try time(&r)
                    default: try r.skipValue()
                    }
                }
            case "DesiredState": desiredState = try string(&r)
            case "NetworksAttachments":
                try array(&r) { _, r in
                    var network: String?, addresses: [String] = []
                    try object(&r) { key, r in
                        switch key {
                        case "Network":
                            try object(&r) { key, r in
                                if key == "ID" { network = try string(&r) } else { try r.skipValue() }
                            }
                        case "Addresses": addresses = try stringList(&r) ?? []
                        default: try r.skipValue()
                        }
                    }
                    if let network, !network.isEmpty { attachments.append((network, addresses)) }
                }
            default: try r.skipValue()
            }
        }
        guard let id, !id.isEmpty else { throw ShapeError(path: ["ID"], reason: "required field is missing or empty") }
        guard let serviceID, !serviceID.isEmpty else { return nil }  // a standalone container's network attachment
        guard let stateName = state, let taskState = TaskState(rawValue: stateName) else {
            skipped.append("task \(id) of service \(serviceID): unknown state \"\(state ?? "")\"; left out")
            return nil
        }
        guard let desiredName = desiredState, let desired = TaskState(rawValue: desiredName) else {
            skipped.append("task \(id) of service \(serviceID): unknown desired state \"\(desiredState ?? "")\"; left out")
            return nil
        }
        var addresses: [NetworkAddress] = []
        for attachment in attachments {
            for cidr in attachment.addresses {
                if NetworkAddress.isValid(cidr: cidr) {
                    addresses.append(NetworkAddress(networkID: NetworkID(attachment.network), cidr: cidr))
                } else {
                    skipped.append("task \(id): address \"\(cidr)\" on network \(attachment.network) is not an IP address; left out")
                }
            }
        }
        let task = SwarmTask(id: TaskID(id), serviceID: ServiceID(serviceID), slot: slot,
                             nodeID: nodeID.flatMap { $0.isEmpty ? nil : $0 }, state: taskState, desiredState: desired,
                             addresses: addresses)
        return DockerTask(task: task, version: version ?? 0, updatedAt: updatedAt, statusTimestamp: statusTimestamp)
    }

    // MARK: - Values

    /// `{"Index": N}`.
    private static func objectVersion(_ r: inout JSONReader) throws -> UInt64? {
        var index: UInt64?
        try object(&r) { key, r in
            if key == "Index" { index = try unsigned(&r) } else { try r.skipValue() }
        }
        return index
    }

    /// `[{"Target": "…"}, …]`: the networks of a service spec, in order.
    private static func attachmentTargets(_ r: inout JSONReader) throws -> [String] {
        var targets: [String] = []
        try array(&r) { _, r in
            try object(&r) { key, r in
                guard key == "Target" else { return try r.skipValue() }
                if let target = try string(&r), !target.isEmpty { targets.append(target) }
            }
        }
        return targets
    }

    /// An object's members; null reads as no members.
    private static func object(_ r: inout JSONReader, _ body: (String, inout JSONReader) throws -> Void) throws {
        switch try r.peek() {
        case .null: return try r.readNull()
        case .object: break
        case let kind: throw ShapeError(path: [], reason: "expected an object, found \(kind.name)")
        }
        try r.beginObject()
        while let key = try r.nextKey() {
            do {
                try body(key, &r)
            } catch var error as ShapeError {
                error.path.insert(key, at: 0)
                throw error
            }
        }
    }

    /// An array's elements; null reads as no elements.
    private static func array(_ r: inout JSONReader, _ body: (Int, inout JSONReader) throws -> Void) throws {
        switch try r.peek() {
        case .null: return try r.readNull()
        case .array: break
        case let kind: throw ShapeError(path: [], reason: "expected an array, found \(kind.name)")
        }
        try r.beginArray()
        var index = 0
        while try r.nextElement() {
            do {
                try body(index, &r)
            } catch var error as ShapeError {
                error.path.insert("[\(index)]", at: 0)
                throw error
            }
            index += 1
        }
    }

    private static func string(_ r: inout JSONReader) throws -> String? {
        switch try r.peek() {
        case .null: try r.readNull(); return nil
        case .string: return try r.readString()
        case let kind: throw ShapeError(path: [], reason: "expected a string, found \(kind.name)")
        }
    }

    private static func bool(_ r: inout JSONReader) throws -> Bool? {
        switch try r.peek() {
        case .null: try r.readNull(); return nil
        case .bool: return try r.readBool()
        case let kind: throw ShapeError(path: [], reason: "expected true or false, found \(kind.name)")
        }
    }

    private static func int(_ r: inout JSONReader) throws -> Int? {
        switch try r.peek() {
        case .null: try r.readNull(); return nil
        case .number:
            let text = try r.readNumber()
            guard let value = Int(text), value >= 0 else { throw ShapeError(path: [], reason: "expected a count, found \(text)") }
            return value
        case let kind: throw ShapeError(path: [], reason: "expected an integer, found \(kind.name)")
        }
    }

    private static func unsigned(_ r: inout JSONReader) throws -> UInt64? {
        switch try r.peek() {
        case .null: try r.readNull(); return nil
        case .number:
            let text = try r.readNumber()
            guard let value = UInt64(text) else { throw ShapeError(path: [], reason: "expected an unsigned integer, found \(text)") }
            return value
        case let kind: throw ShapeError(path: [], reason: "expected an integer, found \(kind.name)")
        }
    }

    /// An RFC 3339 time; Go's zero time (`0001-01-01T00:00:00Z`) and unparseable times read as absent.
    private static func time(_ r: inout JSONReader) throws -> Timestamp? {
        guard let text = try string(&r) else { return nil }
        return Timestamp(rfc3339: text)
    }

    private static func stringList(_ r: inout JSONReader) throws -> [String]? {
        if try r.peek() == .null {
            try r.readNull()
            return nil
        }
        var values: [String] = []
        try array(&r) { _, r in values.append(try string(&r) ?? "") }
        return values
    }

    private static func stringMap(_ r: inout JSONReader) throws -> [String: String] {
        var map: [String: String] = [:]
        try object(&r) { key, r in map[key] = try string(&r) ?? "" }
        return map
    }

    /// Runs `body` over the document in `bytes`, mapping every failure to ``DockerError/malformedResponse(request:reason:)``.
    private static func reading<T>(_ bytes: [UInt8], _ request: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        do {
            return try bytes.withUnsafeBytes { buffer in try JSONReader.read(buffer, body) }
        } catch let error as ShapeError {
            throw DockerError.malformedResponse(request: request, reason: error.description)
        } catch let error as JSONSyntaxError {
            throw DockerError.malformedResponse(request: request, reason: "invalid JSON \(error)")
        }
    }
}

/// A well-formed document whose shape is not the documented one: where (`[3].Spec.Name`) and why.
struct ShapeError: Error, CustomStringConvertible {
    var path: [String]
    var reason: String

    var description: String {
        var text = ""
        for part in path {
            if part.hasPrefix("[") || text.isEmpty { text += part } else { text += "." + part }
        }
        return text.isEmpty ? reason : text + ": " + reason
    }
}
