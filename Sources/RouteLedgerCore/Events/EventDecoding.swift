/// An event that passed validation and waits to be stored.
public struct IncomingEvent: Sendable {
    /// Where it came from in its input (line or array index).
    public var location: DocumentLocation?
    /// Its idempotency key, when given.
    public var id: String?
    /// Its wire type.
    public var type: EventType
    /// When it happened, when given.
    public var time: Timestamp?
    /// The payload exactly as given (an object); it is stored in canonical form.
    public var data: JSONValue
    /// Free-form string map, stored as given.
    public var meta: JSONValue?
    /// The typed payload.
    public var event: ClusterEvent
}

/// Why an event was refused: where, which field, and what is wrong.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line or array index of the event in its input.
    public var location: DocumentLocation?
    /// The field path (`data.task.state`), or nil when the whole document is at fault.
    public var field: String?
    /// What is wrong, in a short sentence.
    public var reason: String

    /// Creates an error.
    public init(location: DocumentLocation?, field: String?, reason: String) {
        self.location = location
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) }
        if let field { parts.append(field) }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }
}

/// Validates event documents (format v1) and decodes their typed payload in one pass.
public enum EventDecoder {
    /// Validates one document.
    public static func decode(_ document: LocatedDocument) throws(EventValidationError) -> IncomingEvent {
        try decode(document.value, at: document.location)
    }

    /// Validates one value found at `location`.
    ///
    /// `seq`, `logTime` and `recordedAt`, which `events --json` prints but the store assigns, are accepted and
    /// ignored, so that an exported log can be appended again (idempotently).
    public static func decode(_ value: JSONValue, at location: DocumentLocation?) throws(EventValidationError) -> IncomingEvent {
        guard case .object(let members) = value else {
            throw EventValidationError(location: location, field: nil,
                                       reason: "an event must be a JSON object, found \(value.kindName)")
        }
        let top = Fields(members: members, path: "", location: location)
        for member in members {
            switch member.key {
            case "id", "type", "time", "data", "meta", "seq", "logTime", "recordedAt": continue
            default: throw top.error(member.key, "unknown field (expected id, type, time, data, meta)")
            }
        }
        let id = try top.optionalString("id")
        if let id, id.isEmpty || id.utf8.count > 200 {
            throw top.error("id", "must be 1 to 200 characters, found \(id.utf8.count)")
        }
        let typeName = try top.string("type")
        guard let type = EventType(rawValue: typeName) else {
            throw top.error("type", "unknown event type \"\(typeName)\" (expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var time: Timestamp?
        if let text = try top.optionalString("time") {
            guard let parsed = Timestamp(rfc3339: text) else {
                throw top.error("time", "\"\(text)\" is not an RFC 3339 time (e.g. 2026-11-27T10:00:03.5Z)")
            }
            time = parsed
        }
        let data = try top.object("data")
        var meta: JSONValue?
        if let value = top[ "meta"], !value.isNull {
            guard case .object(let metaMembers) = value else {
                throw top.error("meta", "expected an object of strings, found \(value.kindName)")
            }
            for member in metaMembers {
                guard case .string = member.value else {
                    throw top.error("meta.\(member.key)", "expected a string, found \(member.value.kindName)")
                }
            }
            meta = value
        }
        let event = try decodePayload(type, data)
        return IncomingEvent(location: location, id: id, type: type, time: time,
                             data: .object(data.members), meta: meta, event: event)
    }

    /// Decodes the typed payload of a stored event from its type and data.
    public static func payload(type: EventType, data: JSONValue) throws(EventValidationError) -> ClusterEvent {
        guard case .object(let members) = data else {
            throw EventValidationError(location: nil, field: "data", reason: "expected an object, found \(data.kindName)")
        }
        return try decodePayload(type, Fields(members: members, path: "data", location: nil))
    }

    static func decodePayload(_ type: EventType, _ data: Fields) throws(EventValidationError) -> ClusterEvent {
        switch type {
        case .networkCreated:
            let n = try data.object("network")
            return .networkCreated(Network(id: NetworkID(try n.identifier("id")), name: try n.identifier("name"),
                                           driver: try n.optionalString("driver"),
                                           ingress: try n.optionalBool("ingress") ?? false))
        case .networkRemoved:
            return .networkRemoved(NetworkID(try data.identifier("networkId")))
        case .serviceCreated:
            return .serviceCreated(try serviceSpec(data.object("service")))
        case .serviceUpdated:
            return .serviceUpdated(try serviceSpec(data.object("service")))
        case .serviceRemoved:
            return .serviceRemoved(ServiceID(try data.identifier("serviceId")))
        case .taskUpdated:
            return .taskUpdated(try task(data.object("task")))
        case .taskRemoved:
            return .taskRemoved(TaskID(try data.identifier("taskId")))
        case .proxyApplied:
            return .proxyApplied(ProxyReport(cluster: try data.string("cluster"), version: try data.identifier("version"),
                                             proxy: try data.identifier("proxy")))
        case .proxyRejected:
            return .proxyRejected(ProxyReport(cluster: try data.string("cluster"), version: try data.identifier("version"),
                                              proxy: try data.identifier("proxy"), error: try data.string("error")))
        }
    }

    static func serviceSpec(_ s: Fields) throws(EventValidationError) -> ServiceSpec {
        var labels: [String: String] = [:]
        if let labelFields = try s.optionalObject("labels") {
            labels.reserveCapacity(labelFields.members.count)
            for member in labelFields.members {
                guard case .string(let value) = member.value else {
                    throw labelFields.error(member.key, "expected a string, found \(member.value.kindName)")
                }
                labels[member.key] = value
            }
        }
        let replicas = try s.optionalInt("replicas")
        if let replicas, replicas < 0 { throw s.error("replicas", "must not be negative, found \(replicas)") }
        let networks = try s.optionalArray("networks") ?? []
        var networkIDs: [NetworkID] = []
        networkIDs.reserveCapacity(networks.count)
        for (i, value) in networks.enumerated() {
            guard case .string(let id) = value, !id.isEmpty else {
                throw s.error("networks[\(i)]", "expected a network id string, found \(value.kindName)")
            }
            networkIDs.append(NetworkID(id))
        }
        var env: [String]?
        if let values = try s.optionalArray("env") {
            var list: [String] = []
            for (i, value) in values.enumerated() {
                guard case .string(let text) = value else {
                    throw s.error("env[\(i)]", "expected a string, found \(value.kindName)")
                }
                list.append(text)
            }
            env = list
        }
        return ServiceSpec(id: ServiceID(try s.identifier("id")), name: try s.identifier("name"), labels: labels,
                           replicas: replicas, networks: networkIDs, vips: try addresses(s, "vips"),
                           image: try s.optionalString("image"), env: env)
    }

    static func task(_ t: Fields) throws(EventValidationError) -> SwarmTask {
        SwarmTask(id: TaskID(try t.identifier("id")), serviceID: ServiceID(try t.identifier("serviceId")),
                  slot: try t.optionalInt("slot"), nodeID: try t.optionalString("nodeId"),
                  state: try t.taskState("state"), desiredState: try t.taskState("desiredState"),
                  addresses: try addresses(t, "addresses"))
    }

    static func addresses(_ parent: Fields, _ key: String) throws(EventValidationError) -> [NetworkAddress] {
        guard let values = try parent.optionalArray(key) else { return [] }
        var result: [NetworkAddress] = []
        result.reserveCapacity(values.count)
        for (i, value) in values.enumerated() {
            guard case .object(let members) = value else {
                throw parent.error("\(key)[\(i)]", "expected an object {networkId, addr}, found \(value.kindName)")
            }
            let a = parent.nested(members, "\(key)[\(i)]")
            let addr = try a.string("addr")
            guard AddressSyntax.isValidCIDR(addr) else {
                throw a.error("addr", "\"\(addr)\" is not an IP address (e.g. 10.0.2.9/24)")
            }
            result.append(NetworkAddress(networkID: NetworkID(try a.identifier("networkId")), cidr: addr))
        }
        return result
    }
}

/// Typed access to the members of one JSON object, with the path used in error messages.
struct Fields {
    let members: [JSONMember]
    let path: String
    let location: DocumentLocation?

    subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    func error(_ key: String, _ reason: String) -> EventValidationError {
        EventValidationError(location: location, field: path.isEmpty ? key : "\(path).\(key)", reason: reason)
    }

    func nested(_ members: [JSONMember], _ key: String) -> Fields {
        Fields(members: members, path: path.isEmpty ? key : "\(path).\(key)", location: location)
    }

    func string(_ key: String) throws(EventValidationError) -> String {
        guard let value = self[key] else { throw error(key, "required field is missing") }
        guard case .string(let text) = value else { throw error(key, "expected a string, found \(value.kindName)") }
        return text
    }

    /// A required, non-empty string.
    func identifier(_ key: String) throws(EventValidationError) -> String {
        let text = try string(key)
        if text.isEmpty { throw error(key, "must not be empty") }
        return text
    }

    func optionalString(_ key: String) throws(EventValidationError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard case .string(let text) = value else { throw error(key, "expected a string, found \(value.kindName)") }
        return text
    }

    func optionalBool(_ key: String) throws(EventValidationError) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "expected true or false, found \(value.kindName)") }
        return flag
    }

    func optionalInt(_ key: String) throws(EventValidationError) -> Int? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let number = value.intValue else {
            throw error(key, "expected an integer, found \(value.kindName)")
        }
        return number
    }

    func optionalArray(_ key: String) throws(EventValidationError) -> [JSONValue]? {
        guard let value = self[key], !value.isNull else { return nil }
        guard case .array(let values) = value else { throw error(key, "expected an array, found \(value.kindName)") }
        return values
    }

    func object(_ key: String) throws(EventValidationError) -> Fields {
        guard let value = self[key] else { throw error(key, "required field is missing") }
        guard case .object(let members) = value else { throw error(key, "expected an object, found \(value.kindName)") }
        return nested(members, key)
    }

    func optionalObject(_ key: String) throws(EventValidationError) -> Fields? {
        guard let value = self[key], !value.isNull else { return nil }
        guard case .object(let members) = value else { throw error(key, "expected an object, found \(value.kindName)") }
        return nested(members, key)
    }

    func taskState(_ key: String) throws(EventValidationError) -> TaskState {
        let name = try string(key)
        guard let state = TaskState(rawValue: name) else {
            throw error(key, "unknown task state \"\(name)\" (expected one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return state
    }
}

/// Syntax checks for the addresses Docker reports, byte by byte (this runs for every task event).
enum AddressSyntax {
    /// An IPv4 or IPv6 address with an optional `/prefix`.
    static func isValidCIDR(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var end = bytes.count
            var prefix = -1
            if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
                end = slash
                let digits = bytes[(slash + 1)...]
                guard !digits.isEmpty, digits.count <= 3 else { return false }
                prefix = 0
                for byte in digits {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
                    prefix = prefix * 10 + Int(byte - UInt8(ascii: "0"))
                }
            }
            let ip = UnsafeBufferPointer(rebasing: bytes[..<end])
            if ip.contains(UInt8(ascii: ":")) { return prefix <= 128 && isValidIPv6(ip) }
            return prefix <= 32 && isValidIPv4(ip)
        }
    }

    /// Four decimal octets 0–255 without leading zeros.
    static func isValidIPv4(_ ip: UnsafeBufferPointer<UInt8>) -> Bool {
        var octets = 0
        var value = 0
        var digits = 0
        var leadingZero = false
        for byte in ip {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return false }
                octets += 1
                value = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !leadingZero || digits == 0 else { return false }
            if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            guard value <= 255 else { return false }
        }
        return octets == 3 && digits > 0
    }

    /// Hex groups of up to 4 digits separated by `:`, at most one `::`, optionally ending in an IPv4 address.
    static func isValidIPv6(_ ip: UnsafeBufferPointer<UInt8>) -> Bool {
        guard ip.count >= 2, ip.count <= 45 else { return false }
        var groups = 0
        var groupLength = 0
        var compressed = false
        var i = 0
        if ip[0] == UInt8(ascii: ":") {
            guard ip[1] == UInt8(ascii: ":") else { return false }
            compressed = true
            i = 2
            if i == ip.count { return true }
        }
        while i < ip.count {
            let byte = ip[i]
            if byte == UInt8(ascii: ":") {
                guard groupLength > 0 else { return false }
                groups += 1
                groupLength = 0
                if i + 1 < ip.count, ip[i + 1] == UInt8(ascii: ":") {
                    guard !compressed else { return false }
                    compressed = true
                    i += 2
                    if i == ip.count { return groups <= 7 }
                    continue
                }
                guard i + 1 < ip.count else { return false }
            } else if byte == UInt8(ascii: ".") {
                // Embedded IPv4 in the last 32 bits.
                let start = i - groupLength
                guard isValidIPv4(UnsafeBufferPointer(rebasing: ip[start...])) else { return false }
                groups += 2
                return compressed ? groups <= 7 : groups == 8
            } else {
                guard isHexDigit(byte), groupLength < 4 else { return false }
                groupLength += 1
            }
            i += 1
        }
        groups += 1
        return compressed ? groups <= 7 : groups == 8
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }
}
