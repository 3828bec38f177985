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
