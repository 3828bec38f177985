/// A stored diff (its documented JSON) in short lines for people, networks named by `names`.
public enum DiffText {
    /// The lines, one per change; with `host`, only the changes of that host (and the network changes).
    public static func lines(_ diff: JSONValue, names: NameBook, host: String? = nil) -> [String] {
        var lines: [String] = []
        func frontend(_ value: JSONValue) -> String {
            let host = value["host"]?.stringValue ?? "?", path = value["path"]?.stringValue ?? "/"
            let cluster = value["cluster"]?.stringValue ?? ""
            return (path == "/" ? host : host + path) + (cluster.isEmpty ? "" : " [\(cluster)]")
        }
        func list(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
        func part(_ name: String) -> [JSONValue] {
            (diff[name]?.arrayValue ?? []).filter { host == nil || $0["host"]?.stringValue == host }
        }
        for added in part("frontendsAdded") { lines.append("frontend \(frontend(added)) added") }
        for removed in part("frontendsRemoved") { lines.append("frontend \(frontend(removed)) removed") }
        for change in part("upstreams") {
            var parts = list(change["added"]).map { "+" + $0 } + list(change["removed"]).map { "-" + $0 }
            let before = change["shareBefore"].flatMap(share), after = change["shareAfter"].flatMap(share)
            if let before, let after { parts.append("share \(before) → \(after)") } else if let after { parts.append("share \(after)") }
            lines.append("\(frontend(change)): " + parts.joined(separator: " "))
        }
        for change in part("options") {
            let option = change["option"]?.stringValue ?? "?"
            lines.append("\(frontend(change)): \(optionNames[option] ?? option) \(change["before"]?.stringValue ?? "") → \(change["after"]?.stringValue ?? "")")
        }
        if let backend = diff["defaultBackend"], !backend.isNull {
            let before = list(backend["before"]), after = list(backend["after"])
            lines.append("default backend: \(before.isEmpty ? "none" : before.joined(separator: ",")) → \(after.isEmpty ? "none (503)" : after.joined(separator: ","))")
        }
        let joined = list(diff["networksAdded"]).map { names.network(NetworkID($0)) }
        let left = list(diff["networksRemoved"]).map { names.network(NetworkID($0)) }
        if !joined.isEmpty || !left.isEmpty {
            lines.append("proxy networks: " + (joined.map { "+" + $0 } + left.map { "-" + $0 }).joined(separator: " "))
        }
        return lines
    }

    /// The TLS options in words (`shop.local: TLS certificate shop-2025 → shop-2026`); the others keep their
    /// JSON names, which are their labels' names.
    public static let optionNames = [
        "tlsCertificate": "TLS certificate", "tlsKey": "TLS key", "sslOnly": "ssl_only", "sslBackend": "ssl_backend",
        "sslBackendVerify": "ssl_backend_tls_verify", "sslPassthrough": "ssl_passthrough",
    ]

    /// One line: the lines joined.
    public static func summary(_ diff: JSONValue, names: NameBook) -> String { lines(diff, names: names).joined(separator: "; ") }

    private static func share(_ value: JSONValue) -> String? {
        guard case .number(let text) = value, let share = Double(text) else { return nil }
        return percent(share)
    }

    /// `20%`, `33.3%`.
    public static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
    }
}
