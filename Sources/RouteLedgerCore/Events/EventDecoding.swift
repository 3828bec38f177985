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
    /// The payload in compact form: as written, without the whitespace outside strings. Stored as is.
    public var data: [UInt8]
    /// The meta map in compact form, when given.
    public var meta: [UInt8]?
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

/// Validates event documents (format v1) and decodes their typed payload in one pass over the bytes,
/// without building a JSON tree: the append hot path.
public enum EventDecoder {
    /// Validates the document the reader stands at (found at `location`).
    ///
    /// `seq`, `logTime` and `recordedAt`, which `events --json` prints but the store assigns, are accepted and
    /// ignored, so that an exported log can be appended again (idempotently).
    ///
    /// - Throws: ``EventValidationError`` for a well-formed document that breaks format v1;
    ///   ``JSONSyntaxError`` for malformed JSON.
    public static func decode(_ reader: inout JSONReader, at location: DocumentLocation?) throws -> IncomingEvent {
        var fields = FieldReader(location: location)
        return try fields.event(&reader)
    }

    /// Validates one JSON document given as bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at location: DocumentLocation?) throws -> IncomingEvent {
        try JSONReader.read(bytes) { reader in try decode(&reader, at: location) }
    }

    /// Decodes the typed payload of a stored event from its type and data bytes.
    public static func payload(type: EventType, data: UnsafeRawBufferPointer) throws -> ClusterEvent {
        var fields = FieldReader(location: nil)
        fields.path = [.key("data")]
        return try JSONReader.read(data) { reader in try fields.payload(type, &reader) }
    }

    /// Decodes the typed payload of a stored event from its type and data (JSON text).
    public static func payload(type: EventType, data: String) throws -> ClusterEvent {
        var data = data
        return try data.withUTF8 { try payload(type: type, data: UnsafeRawBufferPointer($0)) }
    }
}

/// Reads the fields of one event document, keeping the path of the field being read for error messages.
struct FieldReader {
    enum PathComponent {
        case key(String)
        /// A key as it sits in the input; only turned into a String for an error message.
        case raw(RawString)
        case index(Int)
    }

    let location: DocumentLocation?
    var path: [PathComponent] = []

    init(location: DocumentLocation?) { self.location = location }

    // MARK: - The envelope

    mutating func event(_ r: inout JSONReader) throws -> IncomingEvent {
        try expect(.object, &r, "an event must be a JSON object")
        try r.beginObject()
        var id: String?
        var type: EventType?
        var time: Timestamp?
        var data: (bytes: [UInt8], event: ClusterEvent?)?
        var meta: [UInt8]?
        while let key = try r.nextRawKey() {
            path.append(.raw(key))
            switch key {
            case "id":
                let text = try string(&r)
                if text.isEmpty || text.utf8.count > 200 { throw error("must be 1 to 200 characters, found \(text.utf8.count)") }
                id = text
            case "type":
                try expect(.string, &r)
                let name = try r.readRawString()
                guard let known = EventType(name) else {
                    throw error("unknown event type \"\(r.string(name))\" (expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                type = known
            case "time":
                if try r.peek() == .null { try r.readNull(); break }
                try expect(.string, &r)
                let text = try r.readRawString()
                guard let parsed = text.decoded.map({ Timestamp(rfc3339: $0) }) ?? Timestamp(rfc3339Bytes: text.bytes) else {
                    throw error("\"\(r.string(text))\" is not an RFC 3339 time (e.g. 2026-11-27T10:00:03.5Z)")
                }
                time = parsed
            case "data":
                try expect(.object, &r)
                let start = r.offset
                // Usually `type` comes first: decode in the same pass. Otherwise validate now, decode below.
                let event = try type.map { try payload($0, &r) }
                if event == nil { try r.skipValue() }
                data = (r.compactBytes(from: start, to: r.offset), event)
            case "meta":
                if try r.peek() == .null { try r.readNull(); break }
                try expect(.object, &r, "expected an object of strings")
                let start = r.offset
                try r.beginObject()
                while let metaKey = try r.nextRawKey() {
                    path.append(.raw(metaKey))
                    _ = try string(&r)
                    path.removeLast()
                }
                meta = r.compactBytes(from: start, to: r.offset)
            case "seq", "logTime", "recordedAt":
                try r.skipValue()
            default:
                throw error("unknown field (expected id, type, time, data, meta)")
            }
            path.removeLast()
        }
        guard let type else { throw missing("type") }
        guard let data else { throw missing("data") }
        var event = data.event
        if event == nil {
            path = [.key("data")]
            event = try data.bytes.withUnsafeBytes { bytes in
                try JSONReader.read(bytes) { reader in try payload(type, &reader) }
            }
        }
        return IncomingEvent(location: location, id: id, type: type, time: time, data: data.bytes, meta: meta, event: event!)
    }

    // MARK: - Payloads

    mutating func payload(_ type: EventType, _ r: inout JSONReader) throws -> ClusterEvent {
        switch type {
        case .networkCreated:
            return .networkCreated(try single("network", &r) { try $0.network(&$1) })
        case .networkRemoved:
            return .networkRemoved(NetworkID(try single("networkId", &r) { try $0.identifier(&$1) }))
        case .serviceCreated:
            return .serviceCreated(try single("service", &r) { try $0.service(&$1) })
        case .serviceUpdated:
            return .serviceUpdated(try single("service", &r) { try $0.service(&$1) })
        case .serviceRemoved:
            return .serviceRemoved(ServiceID(try single("serviceId", &r) { try $0.identifier(&$1) }))
        case .taskUpdated:
            return .taskUpdated(try single("task", &r) { try $0.task(&$1) })
        case .taskRemoved:
            return .taskRemoved(TaskID(try single("taskId", &r) { try $0.identifier(&$1) }))
        case .proxyApplied, .proxyRejected:
            return try proxyReport(type, &r)
        }
    }

    /// An object whose one required member `name` is read by `read`; other members are skipped.
    private mutating func single<T>(_ name: StaticString, _ r: inout JSONReader,
                                    _ read: (inout FieldReader, inout JSONReader) throws -> T) throws -> T {
        try expect(.object, &r)
        try r.beginObject()
        var value: T?
        while let key = try r.nextRawKey() {
            if name ~= key {
                path.append(.raw(key))
                value = try read(&self, &r)
                path.removeLast()
            } else {
                try r.skipValue()
            }
        }
        guard let value else { throw missing(name.description) }
        return value
    }

    private mutating func network(_ r: inout JSONReader) throws -> Network {
        try expect(.object, &r)
        try r.beginObject()
        var id: String?, name: String?, driver: String?, ingress = false
        while let key = try r.nextRawKey() {
            path.append(.raw(key))
            switch key {
            case "id": id = try identifier(&r)
            case "name": name = try identifier(&r)
            case "driver": driver = try optionalString(&r)
            case "ingress": ingress = try optionalBool(&r) ?? false
            default: try r.skipValue()
            }
            path.removeLast()
        }
        guard let id else { throw missing("id") }
        guard let name else { throw missing("name") }
        return Network(id: NetworkID(id), name: name, driver: driver, ingress: ingress)
    }

    private mutating func service(_ r: inout JSONReader) throws -> ServiceSpec {
        try expect(.object, &r)
        try r.beginObject()
        var id: String?, name: String?, labels: [String: String] = [:], replicas: Int?
        var networks: [NetworkID] = [], vips: [NetworkAddress] = [], image: String?, env: [String]?
        while let key = try r.nextRawKey() {
            path.append(.raw(key))
            switch key {
            case "id": id = try identifier(&r)
            case "name": name = try identifier(&r)
            case "labels":
                if try r.peek() == .null { try r.readNull(); break }
                try expect(.object, &r)
                try r.beginObject()
                while let label = try r.nextRawKey() {
                    path.append(.raw(label))
                    labels[r.string(label)] = try string(&r)
                    path.removeLast()
                }
            case "replicas":
                replicas = try optionalInt(&r)
                if let replicas, replicas < 0 { throw error("must not be negative, found \(replicas)") }
            case "networks":
                networks = try list(&r) { fields, reader in NetworkID(try fields.identifier(&reader)) } ?? []
            case "vips": vips = try addresses(&r)
            case "image": image = try optionalString(&r)
            case "env": env = try list(&r) { fields, reader in try fields.string(&reader) }
            default: try r.skipValue()
            }
            path.removeLast()
        }
        guard let id else { throw missing("id") }
        guard let name else { throw missing("name") }
        return ServiceSpec(id: ServiceID(id), name: name, labels: labels, replicas: replicas, networks: networks,
                           vips: vips, image: image, env: env)
    }

    private mutating func task(_ r: inout JSONReader) throws -> SwarmTask {
        try expect(.object, &r)
        try r.beginObject()
        var id: String?, serviceID: String?, slot: Int?, nodeID: String?
        var state: TaskState?, desiredState: TaskState?, addresses: [NetworkAddress] = []
        while let key = try r.nextRawKey() {
            path.append(.raw(key))
            switch key {
            case "id": id = try identifier(&r)
            case "serviceId": serviceID = try identifier(&r)
            case "slot": slot = try optionalInt(&r)
            case "nodeId": nodeID = try optionalString(&r)
            case "state": state = try taskState(&r)
            case "desiredState": desiredState = try taskState(&r)
            case "addresses": addresses = try self.addresses(&r)
            default: try r.skipValue()
            }
            path.removeLast()
        }
        guard let id else { throw missing("id") }
        guard let serviceID else { throw missing("serviceId") }
        guard let state else { throw missing("state") }
        guard let desiredState else { throw missing("desiredState") }
        return SwarmTask(id: TaskID(id), serviceID: ServiceID(serviceID), slot: slot, nodeID: nodeID, state: state,
                         desiredState: desiredState, addresses: addresses)
    }

    private mutating func proxyReport(_ type: EventType, _ r: inout JSONReader) throws -> ClusterEvent {
        try expect(.object, &r)
        try r.beginObject()
        var cluster: String?, version: String?, proxy: String?, message: String?
        while let key = try r.nextRawKey() {
            path.append(.raw(key))
            switch key {
            case "cluster": cluster = try string(&r)
            case "version": version = try identifier(&r)
            case "proxy": proxy = try identifier(&r)
            case "error" where type == .proxyRejected: message = try string(&r)
            default: try r.skipValue()
            }
            path.removeLast()
        }
        guard let cluster else { throw missing("cluster") }
        guard let version else { throw missing("version") }
        guard let proxy else { throw missing("proxy") }
        if type == .proxyApplied {
            return .proxyApplied(ProxyReport(cluster: cluster, version: version, proxy: proxy))
        }
        guard let message else { throw missing("error") }
        return .proxyRejected(ProxyReport(cluster: cluster, version: version, proxy: proxy, error: message))
    }

    private mutating func addresses(_ r: inout JSONReader) throws -> [NetworkAddress] {
        try list(&r) { fields, reader in try fields.address(&reader) } ?? []
    }

    private mutating func address(_ r: inout JSONReader) throws -> NetworkAddress {
        try expect(.object, &r, "expected an object {networkId, addr}")
        try r.beginObject()
        var networkID: String?, addr: String?
        while let key = try r.nextRawKey() {
            path.append(.raw(key))
            switch key {
            case "networkId": networkID = try identifier(&r)
            case "addr":
                let text = try string(&r)
                guard AddressSyntax.isValidCIDR(text) else { throw error("\"\(text)\" is not an IP address (e.g. 10.0.2.9/24)") }
                addr = text
            default: try r.skipValue()
            }
            path.removeLast()
        }
        guard let networkID else { throw missing("networkId") }
        guard let addr else { throw missing("addr") }
        return NetworkAddress(networkID: NetworkID(networkID), cidr: addr)
    }

    // MARK: - Values

    /// An array (nil for null) whose elements `read` reads.
    private mutating func list<T>(_ r: inout JSONReader, _ read: (inout FieldReader, inout JSONReader) throws -> T) throws -> [T]? {
        if try r.peek() == .null {
            try r.readNull()
            return nil
        }
        try expect(.array, &r)
        try r.beginArray()
        var values: [T] = []
        var index = 0
        while try r.nextElement() {
            path.append(.index(index))
            values.append(try read(&self, &r))
            path.removeLast()
            index += 1
        }
        return values
    }

    mutating func string(_ r: inout JSONReader) throws -> String {
        try expect(.string, &r)
        return try r.readString()
    }

    /// A required, non-empty string.
    mutating func identifier(_ r: inout JSONReader) throws -> String {
        let text = try string(&r)
        if text.isEmpty { throw error("must not be empty") }
        return text
    }

    private mutating func optionalString(_ r: inout JSONReader) throws -> String? {
        if try r.peek() == .null {
            try r.readNull()
            return nil
        }
        return try string(&r)
    }

    private mutating func optionalBool(_ r: inout JSONReader) throws -> Bool? {
        switch try r.peek() {
        case .null: try r.readNull(); return nil
        case .bool: return try r.readBool()
        case let kind: throw error("expected true or false, found \(kind.name)")
        }
    }

    private mutating func optionalInt(_ r: inout JSONReader) throws -> Int? {
        switch try r.peek() {
        case .null:
            try r.readNull()
            return nil
        case .number:
            let text = try r.readNumber()
            guard let value = Int(text) else { throw error("expected an integer, found \(text)") }
            return value
        case let kind:
            throw error("expected an integer, found \(kind.name)")
        }
    }

    private mutating func taskState(_ r: inout JSONReader) throws -> TaskState {
        try expect(.string, &r)
        let name = try r.readRawString()
        guard let state = TaskState(name) else {
            throw error("unknown task state \"\(r.string(name))\" (expected one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return state
    }

    // MARK: - Errors

    private mutating func expect(_ kind: JSONKind, _ r: inout JSONReader, _ message: String? = nil) throws {
        let found = try r.peek()
        guard found == kind else { throw error("\(message ?? "expected \(kind.name)"), found \(found.name)") }
    }

    private func error(_ reason: String) -> EventValidationError {
        EventValidationError(location: location, field: fieldPath, reason: reason)
    }

    private func missing(_ name: String) -> EventValidationError {
        var full = path
        full.append(.key(name))
        return EventValidationError(location: location, field: Self.join(full), reason: "required field is missing")
    }

    private var fieldPath: String? { path.isEmpty ? nil : Self.join(path) }

    private static func join(_ path: [PathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .raw(let raw):
                let key = raw.decoded ?? String(decoding: raw.bytes, as: UTF8.self)
                text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

extension EventType {
    /// The type named by a raw string, matched without building a String.
    init?(_ raw: RawString) {
        switch raw {
        case "task.updated": self = .taskUpdated
        case "task.removed": self = .taskRemoved
        case "service.updated": self = .serviceUpdated
        case "service.created": self = .serviceCreated
        case "service.removed": self = .serviceRemoved
        case "network.created": self = .networkCreated
        case "network.removed": self = .networkRemoved
        case "proxy.applied": self = .proxyApplied
        case "proxy.rejected": self = .proxyRejected
        default: return nil
        }
    }
}

extension TaskState {
    /// The state named by a raw string, matched without building a String.
    init?(_ raw: RawString) {
        switch raw {
        case "running": self = .running
        case "shutdown": self = .shutdown
        case "new": self = .new
        case "pending": self = .pending
        case "assigned": self = .assigned
        case "accepted": self = .accepted
        case "preparing": self = .preparing
        case "ready": self = .ready
        case "starting": self = .starting
        case "complete": self = .complete
        case "failed": self = .failed
        case "rejected": self = .rejected
        case "remove": self = .remove
        case "orphaned": self = .orphaned
        case "allocated": self = .allocated
        default: return nil
        }
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
