/// The `com.docker.lb.*` labels of one service, read one label at a time: each reader returns the label's
/// value (its default when the label is absent or wrong) and records what is wrong with it, an error that
/// keeps the service from being published or a warning about what is ignored. ``LabelParser`` calls them
/// in the order their diagnostics are reported.
struct LabelReader {
    /// The labels under the prefix, by their names after it.
    let labels: [String: String]
    let service: String
    private(set) var errors: [Diagnostic] = []
    private(set) var warnings: [Diagnostic] = []

    init(_ labels: [String: String], service: String) {
        var own: [String: String] = [:]
        for (key, value) in labels where key.hasPrefix(LabelParser.prefix) {
            own[String(key.dropFirst(LabelParser.prefix.count))] = value
        }
        self.labels = own
        self.service = service
    }

    var isEmpty: Bool { labels.isEmpty }

    mutating func fail(_ name: String, _ message: String) {
        errors.append(Diagnostic(.error, service: service, label: LabelParser.prefix + name, message: message))
    }

    mutating func warn(_ name: String, _ message: String) {
        warnings.append(Diagnostic(.warning, service: service, label: LabelParser.prefix + name, message: message))
    }

    private static let known = LabelParser.knownLabels.sorted()
    private var prefix: String { LabelParser.prefix }

    // MARK: - Publishing

    /// A warning for each label RouteLedger does not know, with the closest known one.
    mutating func warnAboutUnknownLabels() {
        for name in labels.keys.sorted() where !LabelParser.knownLabels.contains(name) {
            if let near = Suggestion.closest(to: name, in: Self.known) {
                warn(name, "\(prefix + name) is not a label RouteLedger knows and is ignored; did you mean \(prefix + near)?")
            } else {
                warn(name, "\(prefix + name) is not supported by RouteLedger and is ignored")
            }
        }
    }

    /// For a service that names neither hosts nor a default backend: a near miss of the labels that would
    /// publish it, which would leave it silently unrouted, as an error; nil when there is none.
    mutating func publishingNearMiss() -> LabelParse? {
        for name in labels.keys.sorted() where !LabelParser.knownLabels.contains(name) {
            guard let near = Suggestion.closest(to: name, in: Self.known), near == "hosts" || near == "default_backend" else { continue }
            fail(name, "\(prefix + name) is not a label; did you mean \(prefix + near)? Without it the service is not published")
            return .invalid(errors: errors, warnings: warnings.filter { $0.label != prefix + name })
        }
        return nil
    }

    /// `hosts`: comma-separated host names, lowercased, without repeats.
    mutating func hosts() -> [String] {
        guard let text = labels["hosts"] else { return [] }
        var hosts: [String] = []
        var bad = false
        for raw in text.split(separator: ",") {
            let host = raw.trimmed.lowercased()
            if host.isEmpty { continue }
            if !LabelParser.isHostName(host) {
                fail("hosts", "\"\(host)\" is not a host name")
                bad = true
            } else if !hosts.contains(host) {
                hosts.append(host)
            }
        }
        if hosts.isEmpty && !bad { fail("hosts", "hosts lists no host name") }
        return hosts
    }

    /// A Go boolean label (`default_backend`, `context_root_rewrite`, the `ssl_*` flags); false when absent.
    mutating func flag(_ name: String) -> Bool {
        guard let text = labels[name] else { return false }
        if let value = LabelParser.parseBool(text) { return value }
        fail(name, "\(name) \"\(text)\" is not true or false")
        return false
    }

    // MARK: - Upstreams

    /// `port`, required: 1 to 65535.
    mutating func port() -> Int {
        guard let text = labels["port"] else {
            fail("port", "\(prefix)port is required to publish a service")
            return 0
        }
        if let value = Int(text.trimmed), (1...65535).contains(value) { return value }
        fail("port", "port \"\(text)\" is not a number from 1 to 65535")
        return 0
    }

    /// `backend_mode`: `task` (the default) or `vip`.
    mutating func backendMode() -> BackendMode {
        guard let text = labels["backend_mode"] else { return .task }
        if let value = BackendMode(rawValue: text.trimmed.lowercased()) { return value }
        fail("backend_mode", "backend_mode \"\(text)\" is not task or vip")
        return .task
    }

    /// `network`: the network the upstreams are reached on, by name.
    mutating func network() -> String? {
        guard let text = labels["network"] else { return nil }
        let name = text.trimmed
        if name.isEmpty { fail("network", "network is empty") }
        return name.isEmpty ? nil : name
    }

    /// `sticky_session_cookie`: a cookie name; task mode only.
    mutating func stickyCookie(mode: BackendMode) -> String? {
        guard let text = labels["sticky_session_cookie"] else { return nil }
        let name = text.trimmed
        if name.isEmpty || !name.utf8.allSatisfy(LabelParser.isVariableByte) {
            fail("sticky_session_cookie", "sticky_session_cookie \"\(text)\" is not a cookie name (letters, digits, _)")
            return nil
        }
        if mode == .vip {
            warn("sticky_session_cookie", "sticky sessions need task mode; ignored because backend_mode is vip")
            return nil
        }
        return name
    }

    /// `ip_hash`: a Go boolean; task mode only.
    mutating func ipHash(mode: BackendMode) -> Bool {
        guard let text = labels["ip_hash"] else { return false }
        guard let flag = LabelParser.parseBool(text) else {
            fail("ip_hash", "ip_hash \"\(text)\" is not true or false")
            return false
        }
        if flag && mode == .vip {
            warn("ip_hash", "ip_hash needs task mode; ignored because backend_mode is vip")
            return false
        }
        return flag
    }

    /// `max_fails`: a whole number, 0 or more.
    mutating func maxFails() -> Int? {
        guard let text = labels["max_fails"] else { return nil }
        if let value = Int(text.trimmed), value >= 0 { return value }
        fail("max_fails", "max_fails \"\(text)\" is not a whole number >= 0")
        return nil
    }

    /// `fail_timeout`: an nginx time.
    mutating func failTimeout() -> String? {
        guard let text = labels["fail_timeout"] else { return nil }
        let value = text.trimmed
        if LabelParser.isNginxTime(value) { return value }
        fail("fail_timeout", "fail_timeout \"\(text)\" is not an nginx time (e.g. 10s, 500ms, 1m)")
        return nil
    }

    /// `service_cluster`: letters, digits, `-`, `_` and `.`; `_` is reserved.
    mutating func cluster() -> String {
        guard let text = labels["service_cluster"] else { return "" }
        let name = text.trimmed
        if name == "_" {
            fail("service_cluster", "service_cluster \"_\" is reserved: it names the default cluster in URLs")
            return ""
        }
        if name.utf8.allSatisfy({ LabelParser.isVariableByte($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) { return name }
        fail("service_cluster", "service_cluster \"\(text)\" may only hold letters, digits, '-', '_' and '.'")
        return ""
    }

    // MARK: - HTTP routing

    /// `context_root`: a path starting with `/`, without its trailing `/`; `/` when absent.
    mutating func contextRoot() -> String {
        guard let text = labels["context_root"] else { return "/" }
        let root = text.trimmed
        guard LabelParser.isPath(root) else {
            fail("context_root", "context_root \"\(text)\" is not a path starting with /")
            return "/"
        }
        return root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// `redirects`: `source,target` pairs separated by `;`, each source naming a host.
    mutating func redirects() -> [Redirect] {
        guard let text = labels["redirects"] else { return [] }
        var redirects: [Redirect] = []
        for pair in text.split(separator: ";") where !pair.trimmed.isEmpty {
            let parts = pair.split(separator: ",", omittingEmptySubsequences: false).map(\.trimmed)
            if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty {
                fail("redirects", "redirect \"\(pair)\" is not source,target")
            } else if let bad = parts.lazy.compactMap({ LabelParser.unsafeCharacter(in: $0) }).first {
                fail("redirects", "redirect \"\(pair)\" contains \(bad), which a proxy configuration cannot carry")
            } else if Redirect(source: parts[0], target: parts[1]).sourceHost == nil {
                fail("redirects", "redirect source \"\(parts[0])\" names no host (e.g. http://old.example.com)")
            } else {
                redirects.append(Redirect(source: parts[0], target: parts[1]))
            }
        }
        return redirects
    }

    /// `websocket_endpoints`: comma-separated paths, without repeats.
    mutating func websocketEndpoints() -> [String] {
        guard let text = labels["websocket_endpoints"] else { return [] }
        var endpoints: [String] = []
        for raw in text.split(separator: ",") {
            let endpoint = raw.trimmed
            if endpoint.isEmpty { continue }
            if LabelParser.isPath(endpoint) {
                if !endpoints.contains(endpoint) { endpoints.append(endpoint) }
            } else {
                fail("websocket_endpoints", "websocket endpoint \"\(endpoint)\" is not a path starting with /")
            }
        }
        return endpoints
    }

    // MARK: - TLS

    /// The `ssl_*` labels: errors for values that are not valid, warnings for settings that cannot apply
    /// (and are dropped from the result).
    mutating func tls(hosts: [String]) -> TLSSettings {
        var tls = TLSSettings()
        tls.certificate = secret("ssl_cert")
        tls.key = secret("ssl_key")
        if labels["ssl_cert"] != nil && labels["ssl_key"] == nil {
            fail("ssl_cert", "\(prefix)ssl_cert needs \(prefix)ssl_key: a certificate comes with its private key")
        }
        if labels["ssl_key"] != nil && labels["ssl_cert"] == nil {
            fail("ssl_key", "\(prefix)ssl_key needs \(prefix)ssl_cert: a private key comes with its certificate")
        }
        tls.only = flag("ssl_only")
        tls.backend = flag("ssl_backend")
        tls.passthrough = flag("ssl_passthrough")
        if let text = labels["ssl_backend_tls_verify"] {
            if let value = BackendVerify(rawValue: text.trimmed.lowercased()) { tls.verify = value } else {
                fail("ssl_backend_tls_verify", "ssl_backend_tls_verify \"\(text)\" is not none or required")
            }
        }

        if tls.passthrough {
            if labels["ssl_cert"] != nil || labels["ssl_key"] != nil {
                warn(labels["ssl_cert"] != nil ? "ssl_cert" : "ssl_key",
                     "ssl_passthrough hands the TLS connection to the upstreams, so the proxy uses no certificate; ssl_cert and ssl_key are ignored")
            }
            if tls.backend || tls.verify != .none {
                warn(tls.backend ? "ssl_backend" : "ssl_backend_tls_verify",
                     "ssl_passthrough sends the client's own TLS to the upstreams; ssl_backend and ssl_backend_tls_verify are ignored")
            }
            tls.backend = false
            tls.verify = .none
        } else {
            if tls.only && labels["ssl_cert"] == nil {
                fail("ssl_only", "ssl_only redirects plain HTTP to HTTPS, but nothing would answer HTTPS: name a certificate (ssl_cert, ssl_key) or set ssl_passthrough")
            }
            if tls.verify == .required && !tls.backend {
                warn("ssl_backend_tls_verify", "ssl_backend_tls_verify applies to HTTPS upstreams only (ssl_backend=true); ignored")
                tls.verify = .none
            }
        }
        if hosts.isEmpty && !tls.isEmpty {
            let label = ["ssl_cert", "ssl_key", "ssl_only", "ssl_backend", "ssl_backend_tls_verify", "ssl_passthrough"].first { labels[$0] != nil }!
            warn(label, "TLS labels apply to the hosts a service names; a default backend without hosts answers plain HTTP only; ignored")
            tls = TLSSettings()
        }
        if tls.passthrough {
            tls.certificate = nil
            tls.key = nil
        }
        return tls
    }

    /// `ssl_cert`, `ssl_key`: a Docker secret's name.
    private mutating func secret(_ name: String) -> String? {
        guard let text = labels[name] else { return nil }
        let value = text.trimmed
        if TLSSettings.isSecretName(value) { return value }
        fail(name, "\(name) \"\(text)\" is not a Docker secret name (letters, digits, '_', '.' and '-', at most 64)")
        return nil
    }
}
