import RouteLedgerJSON

/// The stable JSON contract of routing queries (`routes --json`, `GET /v1/routes`).
extension RoutingView {
    /// The view at position `seq` as the documented JSON object, tasks named (`taskName`) by `names`.
    public func json(seq: Seq, logTime: Timestamp?, names: NameBook) -> JSONValue {
        .object([
            JSONMember("seq", .number(String(seq))),
            JSONMember("logTime", logTime.map { .string($0.rfc3339) } ?? .null),
            JSONMember("frontends", .array(frontends.map { $0.json(names: names) })),
            JSONMember("defaultBackends", .array(defaultBackends.map { $0.json(names: names) })),
            JSONMember("diagnostics", .array(diagnostics.map(\.json))),
        ])
    }
}

extension Frontend {
    /// The documented JSON object of a frontend.
    public func json(names: NameBook) -> JSONValue {
        .object([
            JSONMember("cluster", .string(cluster)),
            JSONMember("host", .string(host)),
            JSONMember("path", .string(path)),
            JSONMember("sticky", stickyCookie.map(JSONValue.string) ?? .null),
            JSONMember("ipHash", .bool(ipHash)),
            JSONMember("contextRootRewrite", .bool(contextRootRewrite)),
            JSONMember("redirects", .array(redirects.map {
                .object([JSONMember("source", .string($0.source)), JSONMember("target", .string($0.target))])
            })),
            JSONMember("websocketEndpoints", .array(websocketEndpoints.map(JSONValue.string))),
            JSONMember("tls", tls?.json ?? .null),
            JSONMember("services", .array(services.map(JSONValue.string))),
            JSONMember("upstreams", .array(upstreams.map { $0.json(names: names) })),
        ])
    }
}

extension TLSSettings {
    /// The documented JSON object: `cert` and `key` are secret names (null when none), `verify` is `none`
    /// or `required`.
    public var json: JSONValue {
        .object([
            JSONMember("cert", certificate.map(JSONValue.string) ?? .null),
            JSONMember("key", key.map(JSONValue.string) ?? .null),
            JSONMember("only", .bool(only)),
            JSONMember("backend", .bool(backend)),
            JSONMember("verify", .string(verify.rawValue)),
            JSONMember("passthrough", .bool(passthrough)),
        ])
    }
}

extension DefaultBackend {
    /// The documented JSON object of a default backend.
    public func json(names: NameBook) -> JSONValue {
        .object([
            JSONMember("cluster", .string(cluster)),
            JSONMember("service", .string(service)),
            JSONMember("upstreams", .array(upstreams.map { $0.json(names: names) })),
        ])
    }
}

extension Upstream {
    /// The documented JSON object of an upstream: `task` is the task's id, `taskName` its `service.slot`.
    public func json(names: NameBook) -> JSONValue {
        .object([
            JSONMember("address", .string(address)),
            JSONMember("service", .string(service)),
            JSONMember("task", task.map(JSONValue.string) ?? .null),
            JSONMember("taskName", task.map { .string(names.task(TaskID($0))) } ?? .null),
            JSONMember("share", .number(JSONNumberText.share(share))),
            JSONMember("maxFails", maxFails.map { .number(String($0)) } ?? .null),
            JSONMember("failTimeout", failTimeout.map(JSONValue.string) ?? .null),
        ])
    }
}

extension Diagnostic {
    /// The documented JSON object of a diagnostic.
    public var json: JSONValue {
        .object([
            JSONMember("severity", .string(severity.rawValue)),
            JSONMember("service", service.map(JSONValue.string) ?? .null),
            JSONMember("label", label.map(JSONValue.string) ?? .null),
            JSONMember("host", host.map(JSONValue.string) ?? .null),
            JSONMember("cluster", cluster.map(JSONValue.string) ?? .null),
            JSONMember("message", .string(message)),
        ])
    }
}

/// Number formatting for JSON output.
enum JSONNumberText {
    /// A share as a JSON number with at most 6 decimals and no trailing zeros (`1.0` → `1`, `0.2` → `0.2`).
    static func share(_ value: Double) -> String {
        let scaled = Int64((value * 1_000_000).rounded())
        let whole = scaled / 1_000_000
        var fraction = scaled % 1_000_000
        if fraction == 0 { return String(whole) }
        var digits = 6
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
