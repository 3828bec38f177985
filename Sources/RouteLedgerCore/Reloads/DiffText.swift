/// A diff in short lines for people, networks named by `names`.
public enum DiffText {
    /// The lines, one per change; with `host`, only the changes of that host (and the network changes).
    public static func lines(_ diff: ProxyDiff, names: NameBook, host: String? = nil) -> [String] {
        var lines: [String] = []
        func mine(_ key: FrontendKey) -> Bool { host == nil || key.host == host }
        func servers(_ list: [ProxyServer]) -> [String] { list.map(\.address) }
        for key in diff.frontendsAdded where mine(key) { lines.append("frontend \(frontend(key)) added") }
        for key in diff.frontendsRemoved where mine(key) { lines.append("frontend \(frontend(key)) removed") }
        for change in diff.upstreams where mine(change.key) {
            var parts = servers(change.added).map { "+" + $0 } + servers(change.removed).map { "-" + $0 }
            let before = change.shareBefore.map(percent), after = change.shareAfter.map(percent)
            if let before, let after { parts.append("share \(before) → \(after)") } else if let after { parts.append("share \(after)") }
            lines.append("\(frontend(change.key)): " + parts.joined(separator: " "))
        }
        for change in diff.options where mine(change.key) {
            lines.append("\(frontend(change.key)): \(optionNames[change.option] ?? change.option) \(change.before) → \(change.after)")
        }
        if let backend = diff.defaultBackend {
            let before = servers(backend.before), after = servers(backend.after)
            lines.append("default backend: \(before.isEmpty ? "none" : before.joined(separator: ",")) → \(after.isEmpty ? "none (503)" : after.joined(separator: ","))")
        }
        let joined = diff.networksAdded.map { names.network($0) }
        let left = diff.networksRemoved.map { names.network($0) }
        if !joined.isEmpty || !left.isEmpty {
            lines.append("proxy networks: " + (joined.map { "+" + $0 } + left.map { "-" + $0 }).joined(separator: " "))
        }
        return lines
    }

    /// `host[path] [cluster]`: a frontend as the lines name it.
    public static func frontend(_ key: FrontendKey) -> String {
        (key.path == "/" ? key.host : key.host + key.path) + (key.cluster.isEmpty ? "" : " [\(key.cluster)]")
    }

    /// The TLS options in words (`shop.local: TLS certificate shop-2025 → shop-2026`); the others keep their
    /// JSON names, which are their labels' names.
    public static let optionNames = [
        "tlsCertificate": "TLS certificate", "tlsKey": "TLS key", "sslOnly": "ssl_only", "sslBackend": "ssl_backend",
        "sslBackendVerify": "ssl_backend_tls_verify", "sslPassthrough": "ssl_passthrough",
    ]

    /// One line: the lines joined.
    public static func summary(_ diff: ProxyDiff, names: NameBook) -> String { lines(diff, names: names).joined(separator: "; ") }

    /// `20%`, `33.3%`.
    public static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
    }
}
