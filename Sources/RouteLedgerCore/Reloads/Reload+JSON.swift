import RouteLedgerJSON

/// The stable JSON contract of reload queries (`reloads --json`, `why --json`, `GET /v1/reloads`).
extension Reload {
    /// The documented JSON object of a reload.
    public var json: JSONValue {
        Self.json(id: id, cluster: cluster, seq: seq, logTime: logTime, previousVersion: previousVersion?.hex,
                  version: version.hex, causes: causes, diff: diff.json)
    }

    /// The documented JSON object of a reload given by its parts (a stored reload keeps its diff as JSON).
    public static func json(id: Int, cluster: String, seq: Seq, logTime: Timestamp, previousVersion: String?,
                            version: String, causes: [Seq], diff: JSONValue) -> JSONValue {
        .object([
            JSONMember("id", .number(String(id))),
            JSONMember("cluster", .string(cluster)),
            JSONMember("seq", .number(String(seq))),
            JSONMember("logTime", .string(logTime.rfc3339)),
            JSONMember("previousVersion", previousVersion.map(JSONValue.string) ?? .null),
            JSONMember("version", .string(version)),
            JSONMember("causes", .array(causes.map { .number(String($0)) })),
            JSONMember("diff", diff),
        ])
    }
}

extension ProxyDiff {
    /// The documented JSON object of a diff.
    public var json: JSONValue {
        func key(_ key: FrontendKey) -> [JSONMember] {
            [JSONMember("cluster", .string(key.cluster)), JSONMember("host", .string(key.host)), JSONMember("path", .string(key.path))]
        }
        func servers(_ list: [ProxyServer]) -> JSONValue { .array(list.map { .string($0.address) }) }
        func share(_ value: Double?) -> JSONValue { value.map { .number(JSONNumberText.share($0)) } ?? .null }
        return .object([
            JSONMember("frontendsAdded", .array(frontendsAdded.map { .object(key($0)) })),
            JSONMember("frontendsRemoved", .array(frontendsRemoved.map { .object(key($0)) })),
            JSONMember("upstreams", .array(upstreams.map { change in
                .object(key(change.key) + [
                    JSONMember("added", servers(change.added)),
                    JSONMember("removed", servers(change.removed)),
                    JSONMember("shareBefore", share(change.shareBefore)),
                    JSONMember("shareAfter", share(change.shareAfter)),
                ])
            })),
            JSONMember("options", .array(options.map { change in
                .object(key(change.key) + [
                    JSONMember("option", .string(change.option)),
                    JSONMember("before", .string(change.before)),
                    JSONMember("after", .string(change.after)),
                ])
            })),
            JSONMember("defaultBackend", defaultBackend.map { change in
                .object([JSONMember("before", servers(change.before)), JSONMember("after", servers(change.after))])
            } ?? .null),
            JSONMember("networksAdded", .array(networksAdded.map { .string($0.rawValue) })),
            JSONMember("networksRemoved", .array(networksRemoved.map { .string($0.rawValue) })),
        ])
    }
}

extension ProxyDiff {
    /// Appends `json` in its compact form, written directly: the store writes one per reload, on the append
    /// path. The bytes equal `json.formatted(pretty: false)` (a test holds them to it).
    public func writeJSON(into out: inout [UInt8]) {
        func key(_ key: FrontendKey) {
            out += #""cluster":"#.utf8
            writeJSONString(key.cluster, into: &out)
            out += #","host":"#.utf8
            writeJSONString(key.host, into: &out)
            out += #","path":"#.utf8
            writeJSONString(key.path, into: &out)
        }
        func list<T>(_ items: [T], _ write: (T) -> Void) {
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item)
            }
            out.append(UInt8(ascii: "]"))
        }
        func servers(_ servers: [ProxyServer]) { list(servers) { writeJSONString($0.address, into: &out) } }
        func share(_ value: Double?) { out += (value.map { JSONNumberText.share($0) } ?? "null").utf8 }
        func frontendKeys(_ keys: [FrontendKey]) {
            list(keys) { k in
                out.append(UInt8(ascii: "{"))
                key(k)
                out.append(UInt8(ascii: "}"))
            }
        }
        out += #"{"frontendsAdded":"#.utf8
        frontendKeys(frontendsAdded)
        out += #","frontendsRemoved":"#.utf8
        frontendKeys(frontendsRemoved)
        out += #","upstreams":"#.utf8
        list(upstreams) { change in
            out.append(UInt8(ascii: "{"))
            key(change.key)
            out += #","added":"#.utf8
            servers(change.added)
            out += #","removed":"#.utf8
            servers(change.removed)
            out += #","shareBefore":"#.utf8
            share(change.shareBefore)
            out += #","shareAfter":"#.utf8
            share(change.shareAfter)
            out.append(UInt8(ascii: "}"))
        }
        out += #","options":"#.utf8
        list(options) { change in
            out.append(UInt8(ascii: "{"))
            key(change.key)
            out += #","option":"#.utf8
            writeJSONString(change.option, into: &out)
            out += #","before":"#.utf8
            writeJSONString(change.before, into: &out)
            out += #","after":"#.utf8
            writeJSONString(change.after, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out += #","defaultBackend":"#.utf8
        if let change = defaultBackend {
            out += #"{"before":"#.utf8
            servers(change.before)
            out += #","after":"#.utf8
            servers(change.after)
            out.append(UInt8(ascii: "}"))
        } else {
            out += "null".utf8
        }
        out += #","networksAdded":"#.utf8
        list(networksAdded) { writeJSONString($0.rawValue, into: &out) }
        out += #","networksRemoved":"#.utf8
        list(networksRemoved) { writeJSONString($0.rawValue, into: &out) }
        out.append(UInt8(ascii: "}"))
    }
}

extension ProxyDiff {
    /// Reads a diff back from its documented JSON object (``json``), as the store keeps it. Servers come back
    /// as their addresses: the stored form names no `max_fails` or `fail_timeout` (a change of those shows
    /// as the server removed and added again).
    /// - Throws: ``DiffDecodingError`` naming the member that is not the documented shape.
    public init(json: JSONValue) throws(DiffDecodingError) {
        func array(_ value: JSONValue?, _ name: String) throws(DiffDecodingError) -> [JSONValue] {
            guard let items = value?.arrayValue else { throw DiffDecodingError(member: name) }
            return items
        }
        func text(_ value: JSONValue?, _ name: String) throws(DiffDecodingError) -> String {
            guard let text = value?.stringValue else { throw DiffDecodingError(member: name) }
            return text
        }
        func key(_ value: JSONValue, _ name: String) throws(DiffDecodingError) -> FrontendKey {
            FrontendKey(cluster: try text(value["cluster"], name + ".cluster"), host: try text(value["host"], name + ".host"),
                        path: try text(value["path"], name + ".path"))
        }
        func servers(_ value: JSONValue?, _ name: String) throws(DiffDecodingError) -> [ProxyServer] {
            var servers: [ProxyServer] = []
            for item in try array(value, name) { servers.append(ProxyServer(address: try text(item, name))) }
            return servers
        }
        func share(_ value: JSONValue?, _ name: String) throws(DiffDecodingError) -> Double? {
            guard let value, !value.isNull else { return nil }
            guard case .number(let text) = value, let share = Double(text) else { throw DiffDecodingError(member: name) }
            return share
        }
        self.init()
        for item in try array(json["frontendsAdded"], "frontendsAdded") { frontendsAdded.append(try key(item, "frontendsAdded")) }
        for item in try array(json["frontendsRemoved"], "frontendsRemoved") { frontendsRemoved.append(try key(item, "frontendsRemoved")) }
        for item in try array(json["upstreams"], "upstreams") {
            upstreams.append(UpstreamChange(key: try key(item, "upstreams"), added: try servers(item["added"], "upstreams.added"),
                                            removed: try servers(item["removed"], "upstreams.removed"),
                                            shareBefore: try share(item["shareBefore"], "upstreams.shareBefore"),
                                            shareAfter: try share(item["shareAfter"], "upstreams.shareAfter")))
        }
        for item in try array(json["options"], "options") {
            options.append(OptionChange(key: try key(item, "options"), option: try text(item["option"], "options.option"),
                                        before: try text(item["before"], "options.before"), after: try text(item["after"], "options.after")))
        }
        if let backend = json["defaultBackend"], !backend.isNull {
            defaultBackend = (try servers(backend["before"], "defaultBackend.before"), try servers(backend["after"], "defaultBackend.after"))
        }
        for item in try array(json["networksAdded"], "networksAdded") { networksAdded.append(NetworkID(try text(item, "networksAdded"))) }
        for item in try array(json["networksRemoved"], "networksRemoved") { networksRemoved.append(NetworkID(try text(item, "networksRemoved"))) }
    }
}

/// A stored diff that is not the documented JSON object: the member at fault.
public struct DiffDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `upstreams.added`, `options.before`, …
    public var member: String

    public var description: String { "the reload diff's \(member) is not the documented shape" }
}
