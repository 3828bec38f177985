import RouteLedgerJSON

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
    /// `data` decoded, as the fold consumes it.
    public var event: ClusterEvent

    /// An event made by RouteLedger itself (not read from input): its data is the payload's documented JSON.
    public init(_ event: ClusterEvent, id: String? = nil, time: Timestamp? = nil) {
        self.init(location: nil, id: id, type: event.type, time: time, data: Array(event.data.formatted(pretty: false).utf8), meta: nil,
                  event: event)
    }

    init(location: DocumentLocation?, id: String?, type: EventType, time: Timestamp?, data: [UInt8], meta: [UInt8]?, event: ClusterEvent) {
        self.location = location
        self.id = id
        self.type = type
        self.time = time
        self.data = data
        self.meta = meta
        self.event = event
    }
}

/// Why an event was refused: where, which field, and what is wrong.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line or array index of the event in its input.
    public var location: DocumentLocation?
    /// The field path (`data.task.state`), or nil when the whole document is at fault.
    public var field: String?
    /// What is wrong, in a short sentence.
    public var reason: String

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
        try FieldReader(location: location).event(&reader)
    }

    /// Validates one JSON document given as bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at location: DocumentLocation?) throws -> IncomingEvent {
        try JSONReader.read(bytes) { reader in try decode(&reader, at: location) }
    }

    /// Decodes the typed payload of a stored event from its type and data bytes.
    public static func payload(type: EventType, data: UnsafeRawBufferPointer) throws -> ClusterEvent {
        let fields = FieldReader(location: nil)
        do {
            return try JSONReader.read(data) { reader in try fields.payload(type, &reader) }
        } catch var error as EventValidationError {
            error.field = error.field.map { "data." + $0 } ?? "data"
            throw error
        }
    }

    /// Decodes the typed payload of a stored event from its type and data (JSON text).
    public static func payload(type: EventType, data: String) throws -> ClusterEvent {
        var data = data
        return try data.withUTF8 { try payload(type: type, data: UnsafeRawBufferPointer($0)) }
    }
}

/// Reads the fields of one event document.
///
/// The path of a bad field (`data.task.addresses[0].addr`) is built only when an error unwinds through the
/// readers of the enclosing members (`within`), so reading a valid event costs nothing for it.
struct FieldReader {
    let location: DocumentLocation?

    // MARK: - The envelope

    func event(_ r: inout JSONReader) throws -> IncomingEvent {
        try expect(.object, &r, "an event must be a JSON object")
        try r.beginObject()
        var id: String?
        var type: EventType?
        var time: Timestamp?
        var data: (bytes: [UInt8], event: ClusterEvent?)?
        var meta: [UInt8]?
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "id":
                    let text = try string(&r)
                    if text.isEmpty || text.utf8.count > 200 { throw error("must be 1 to 200 characters, found \(text.utf8.count)") }
                    id = text
                case "type":
                    try expect(.string, &r)
                    let name = try r.readRawString()
                    guard let known = EventType(name) else {
                        throw error("unknown event type \"\(name.string)\" (expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    type = known
                case "time":
                    if try r.peek() == .null { return try r.readNull() }
                    try expect(.string, &r)
                    let text = try r.readRawString()
                    guard let parsed = text.hasEscapes ? Timestamp(rfc3339: text.string) : Timestamp(rfc3339Bytes: text.bytes) else {
                        throw error("\"\(text.string)\" is not an RFC 3339 time (e.g. 2026-11-27T10:00:03.5Z)")
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
                    if try r.peek() == .null { return try r.readNull() }
                    try expect(.object, &r, "expected an object of strings")
                    let start = r.offset
                    try r.beginObject()
                    while let metaKey = try r.nextRawKey() {
                        _ = try within(metaKey) { try string(&r) }
                    }
                    meta = r.compactBytes(from: start, to: r.offset)
                case "seq", "logTime", "recordedAt", "names":
                    // What `events --json` adds: output only, so a listing can be appended again.
                    try r.skipValue()
                default:
                    throw error("unknown field (expected id, type, time, data, meta)")
                }
            }
        }
        guard let type else { throw missing("type") }
        guard let data else { throw missing("data") }
        let event = try data.event ?? within("data") {
            try data.bytes.withUnsafeBytes { bytes in try JSONReader.read(bytes) { reader in try payload(type, &reader) } }
        }
        return IncomingEvent(location: location, id: id, type: type, time: time, data: data.bytes, meta: meta, event: event)
    }

    // MARK: - Payloads

    func payload(_ type: EventType, _ r: inout JSONReader) throws -> ClusterEvent {
        switch type {
        case .networkCreated:
            return .networkCreated(try single("network", &r, network))
        case .networkRemoved:
            return .networkRemoved(NetworkID(try single("networkId", &r, identifier)))
        case .serviceCreated:
            return .serviceCreated(try single("service", &r, service))
        case .serviceUpdated:
            return .serviceUpdated(try single("service", &r, service))
        case .serviceRemoved:
            return .serviceRemoved(ServiceID(try single("serviceId", &r, identifier)))
        case .taskUpdated:
            return .taskUpdated(try single("task", &r, task))
        case .taskRemoved:
            return .taskRemoved(TaskID(try single("taskId", &r, identifier)))
        case .proxyApplied, .proxyRejected, .proxyFailed:
            return try proxyReport(type, &r)
        case .configChanged:
            return try configChange(&r)
        }
    }

    /// An object whose one required member `name` is read by `read`; other members are skipped.
    private func single<T>(_ name: StaticString, _ r: inout JSONReader, _ read: (inout JSONReader) throws -> T) throws -> T {
        try expect(.object, &r)
        try r.beginObject()
        var value: T?
        while let key = try r.nextRawKey() {
            if name ~= key {
                value = try within(key) { try read(&r) }
            } else {
                try r.skipValue()
            }
        }
        guard let value else { throw missing(name.description) }
        return value
    }

    func network(_ r: inout JSONReader) throws -> Network {
        try expect(.object, &r)
        try r.beginObject()
        var id: String?, name: String?, driver: String?, ingress = false
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "id": id = try identifier(&r)
                case "name": name = try identifier(&r)
                case "driver": driver = try optionalString(&r)
                case "ingress": ingress = try optionalBool(&r) ?? false
                default: try r.skipValue()
                }
            }
        }
        guard let id else { throw missing("id") }
        guard let name else { throw missing("name") }
        return Network(id: NetworkID(id), name: name, driver: driver, ingress: ingress)
    }

    func service(_ r: inout JSONReader) throws -> ServiceSpec {
        try expect(.object, &r)
        try r.beginObject()
        var id: String?, name: String?, labels: [String: String] = [:], replicas: Int?
        var networks: [NetworkID] = [], vips: [NetworkAddress] = [], image: String?, env: [String]?
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "id": id = try identifier(&r)
                case "name": name = try identifier(&r)
                case "labels":
                    if try r.peek() == .null { return try r.readNull() }
                    try expect(.object, &r)
                    try r.beginObject()
                    while let label = try r.nextRawKey() {
                        labels[label.string] = try within(label) { try string(&r) }
                    }
                case "replicas":
                    replicas = try optionalInt(&r)
                    if let replicas, replicas < 0 { throw error("must not be negative, found \(replicas)") }
                case "networks": networks = try list(&r) { NetworkID(try identifier(&$0)) } ?? []
                case "vips": vips = try list(&r, address) ?? []
                case "image": image = try optionalString(&r)
                case "env": env = try list(&r, string)
                default: try r.skipValue()
                }
            }
        }
        guard let id else { throw missing("id") }
        guard let name else { throw missing("name") }
        return ServiceSpec(id: ServiceID(id), name: name, labels: labels, replicas: replicas, networks: networks,
                           vips: vips, image: image, env: env)
    }

    func task(_ r: inout JSONReader) throws -> SwarmTask {
        try expect(.object, &r)
        try r.beginObject()
        var id: String?, serviceID: String?, slot: Int?, nodeID: String?
        var state: TaskState?, desiredState: TaskState?, addresses: [NetworkAddress] = []
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "id": id = try identifier(&r)
                case "serviceId": serviceID = try identifier(&r)
                case "slot": slot = try optionalInt(&r)
                case "nodeId": nodeID = try optionalString(&r)
                case "state": state = try taskState(&r)
                case "desiredState": desiredState = try taskState(&r)
                case "addresses": addresses = try list(&r, address) ?? []
                default: try r.skipValue()
                }
            }
        }
        guard let id else { throw missing("id") }
        guard let serviceID else { throw missing("serviceId") }
        guard let state else { throw missing("state") }
        guard let desiredState else { throw missing("desiredState") }
        return SwarmTask(id: TaskID(id), serviceID: ServiceID(serviceID), slot: slot, nodeID: nodeID, state: state,
                         desiredState: desiredState, addresses: addresses)
    }

    private func proxyReport(_ type: EventType, _ r: inout JSONReader) throws -> ClusterEvent {
        try expect(.object, &r)
        try r.beginObject()
        var cluster: String?, version: String?, proxy: String?, message: String?
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "cluster": cluster = try string(&r)
                case "version": version = try identifier(&r)
                case "proxy": proxy = try identifier(&r)
                case "error" where type != .proxyApplied: message = try string(&r)
                default: try r.skipValue()
                }
            }
        }
        guard let cluster else { throw missing("cluster") }
        guard let version else { throw missing("version") }
        guard let proxy else { throw missing("proxy") }
        if type == .proxyApplied {
            return .proxyApplied(ProxyReport(cluster: cluster, version: version, proxy: proxy))
        }
        guard let message else { throw missing("error") }
        let report = ProxyReport(cluster: cluster, version: version, proxy: proxy, error: message)
        return type == .proxyFailed ? .proxyFailed(report) : .proxyRejected(report)
    }

    /// `{"settleNanoseconds": N, "maxWaitNanoseconds": M}`: non-negative integers; `maxWaitNanoseconds`
    /// defaults to ten times the settle time and may not be shorter than it.
    private func configChange(_ r: inout JSONReader) throws -> ClusterEvent {
        try expect(.object, &r)
        try r.beginObject()
        var settle: Int?, maxWait: Int?
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "settleNanoseconds": settle = try optionalInt(&r)
                case "maxWaitNanoseconds": maxWait = try optionalInt(&r)
                default: try r.skipValue()
                }
            }
        }
        guard let settle else { throw missing("settleNanoseconds") }
        guard settle >= 0 else {
            throw EventValidationError(location: location, field: "settleNanoseconds", reason: "must be 0 or more, found \(settle)")
        }
        if let maxWait, maxWait < settle {
            throw EventValidationError(location: location, field: "maxWaitNanoseconds",
                                       reason: "must be at least settleNanoseconds (\(settle)), found \(maxWait)")
        }
        return .configChanged(ReloadSettings(settle: Int64(settle), maxWait: maxWait.map(Int64.init)))
    }

    private func address(_ r: inout JSONReader) throws -> NetworkAddress {
        try expect(.object, &r, "expected an object {networkId, addr}")
        try r.beginObject()
        var networkID: String?, addr: String?
        while let key = try r.nextRawKey() {
            try within(key) {
                switch key {
                case "networkId": networkID = try identifier(&r)
                case "addr":
                    let text = try string(&r)
                    guard AddressSyntax.isValidCIDR(text) else { throw error("\"\(text)\" is not an IP address (e.g. 10.0.2.9/24)") }
                    addr = text
                default: try r.skipValue()
                }
            }
        }
        guard let networkID else { throw missing("networkId") }
        guard let addr else { throw missing("addr") }
        return NetworkAddress(networkID: NetworkID(networkID), cidr: addr)
    }

    // MARK: - Values

    /// An array (nil for null) whose elements `read` reads.
    private func list<T>(_ r: inout JSONReader, _ read: (inout JSONReader) throws -> T) throws -> [T]? {
        if try r.peek() == .null {
            try r.readNull()
            return nil
        }
        try expect(.array, &r)
        try r.beginArray()
        var values: [T] = []
        while try r.nextElement() {
            let index = values.count
            values.append(try within(index: index) { try read(&r) })
        }
        return values
    }

    func string(_ r: inout JSONReader) throws -> String {
        try expect(.string, &r)
        return try r.readString()
    }

    /// A required, non-empty string.
    func identifier(_ r: inout JSONReader) throws -> String {
        let text = try string(&r)
        if text.isEmpty { throw error("must not be empty") }
        return text
    }

    private func optionalString(_ r: inout JSONReader) throws -> String? {
        if try r.peek() == .null {
            try r.readNull()
            return nil
        }
        return try string(&r)
    }

    private func optionalBool(_ r: inout JSONReader) throws -> Bool? {
        switch try r.peek() {
        case .null: try r.readNull(); return nil
        case .bool: return try r.readBool()
        case let kind: throw error("expected true or false, found \(kind.name)")
        }
    }

    private func optionalInt(_ r: inout JSONReader) throws -> Int? {
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

    private func taskState(_ r: inout JSONReader) throws -> TaskState {
        try expect(.string, &r)
        let name = try r.readRawString()
        guard let state = TaskState(name) else {
            throw error("unknown task state \"\(name.string)\" (expected one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return state
    }

    // MARK: - Errors

    /// Runs `body` for the member `key`; an error from inside gets the key in front of its field path.
    @inline(__always)
    private func within<T>(_ key: RawString, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as EventValidationError {
            error.field = Self.join(key.string, error.field)
            throw error
        }
    }

    /// Same, for a member named by a String.
    private func within<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as EventValidationError {
            error.field = Self.join(key, error.field)
            throw error
        }
    }

    /// Same, for an array element.
    @inline(__always)
    private func within<T>(index: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as EventValidationError {
            error.field = Self.join("[\(index)]", error.field)
            throw error
        }
    }

    /// `outer.inner`, or `outer[0]` for an index.
    private static func join(_ outer: String, _ inner: String?) -> String {
        guard let inner else { return outer }
        return inner.hasPrefix("[") ? outer + inner : outer + "." + inner
    }

    private func expect(_ kind: JSONKind, _ r: inout JSONReader, _ message: String? = nil) throws {
        let found = try r.peek()
        guard found == kind else { throw error("\(message ?? "expected \(kind.name)"), found \(found.name)") }
    }

    private func error(_ reason: String) -> EventValidationError {
        EventValidationError(location: location, field: nil, reason: reason)
    }

    private func missing(_ name: String) -> EventValidationError {
        EventValidationError(location: location, field: name, reason: "required field is missing")
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
        case "proxy.failed": self = .proxyFailed
        case "config.changed": self = .configChanged
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
