/// What a service's labels say about publishing it.
public enum LabelParse: Sendable, Hashable {
    /// No `hosts` and no `default_backend=true`: not a routed service.
    case notPublished
    /// Valid labels; `warnings` name labels that are ignored.
    case published(ServiceRouting, warnings: [Diagnostic])
    /// At least one label is invalid (`errors`); nothing of these labels is used.
    case invalid(errors: [Diagnostic], warnings: [Diagnostic])
}

/// Reads `com.docker.lb.*` labels with Interlock's rules.
public enum LabelParser {
    /// The label prefix.
    public static let prefix = "com.docker.lb."

    /// Label names (after the prefix) that RouteLedger understands.
    public static let knownLabels: Set<String> = [
        "hosts", "port", "network", "backend_mode", "default_backend", "sticky_session_cookie", "ip_hash",
        "context_root", "context_root_rewrite", "redirects", "websocket_endpoints", "service_cluster",
        "max_fails", "fail_timeout",
        "ssl_cert", "ssl_key", "ssl_only", "ssl_backend", "ssl_backend_tls_verify", "ssl_passthrough",
    ]

    /// Labels that route HTTP requests, which a proxy cannot apply to a TLS connection it passes through.
    static let httpOnlyLabels = ["sticky_session_cookie", "context_root", "context_root_rewrite", "redirects", "websocket_endpoints"]

    /// Parses the labels of the service named `service`.
    public static func parse(_ labels: [String: String], service: String) -> LabelParse {
        var lb: [String: String] = [:]
        for (key, value) in labels where key.hasPrefix(prefix) {
            lb[String(key.dropFirst(prefix.count))] = value
        }
        if lb.isEmpty { return .notPublished }

        var errors: [Diagnostic] = []
        var warnings: [Diagnostic] = []
        func fail(_ name: String, _ message: String) {
            errors.append(Diagnostic(.error, service: service, label: prefix + name, message: message))
        }
        func warn(_ name: String, _ message: String) {
            warnings.append(Diagnostic(.warning, service: service, label: prefix + name, message: message))
        }

        let known = knownLabels.sorted()
        for name in lb.keys.sorted() where !knownLabels.contains(name) {
            if let near = Suggestion.closest(to: name, in: known) {
                warn(name, "\(prefix + name) is not a label RouteLedger knows and is ignored; did you mean \(prefix + near)?")
            } else {
                warn(name, "\(prefix + name) is not supported by RouteLedger and is ignored")
            }
        }

        var hosts: [String] = []
        if let text = lb["hosts"] {
            for raw in text.split(separator: ",") {
                let host = raw.trimmed.lowercased()
                if host.isEmpty { continue }
                if !isHostName(host) {
                    fail("hosts", "\"\(host)\" is not a host name")
                } else if !hosts.contains(host) {
                    hosts.append(host)
                }
            }
            if hosts.isEmpty && errors.isEmpty { fail("hosts", "hosts lists no host name") }
        }

        var isDefaultBackend = false
        if let text = lb["default_backend"] {
            if let flag = parseBool(text) { isDefaultBackend = flag } else {
                fail("default_backend", "default_backend \"\(text)\" is not true or false")
            }
        }

        if hosts.isEmpty && !isDefaultBackend && errors.isEmpty {
            // A near miss of the labels that publish a service would leave it silently unrouted: say so.
            for name in lb.keys.sorted() where !knownLabels.contains(name) {
                guard let near = Suggestion.closest(to: name, in: known), near == "hosts" || near == "default_backend" else { continue }
                fail(name, "\(prefix + name) is not a label; did you mean \(prefix + near)? Without it the service is not published")
                return .invalid(errors: errors, warnings: warnings.filter { $0.label != prefix + name })
            }
            return .notPublished
        }

        var port = 0
        if let text = lb["port"] {
            if let value = Int(text.trimmed), (1...65535).contains(value) { port = value } else {
                fail("port", "port \"\(text)\" is not a number from 1 to 65535")
            }
        } else {
            fail("port", "\(prefix)port is required to publish a service")
        }

        var mode = BackendMode.task
        if let text = lb["backend_mode"] {
            if let value = BackendMode(rawValue: text.trimmed.lowercased()) { mode = value } else {
                fail("backend_mode", "backend_mode \"\(text)\" is not task or vip")
            }
        }

        var networkName: String?
        if let text = lb["network"] {
            let name = text.trimmed
            if name.isEmpty { fail("network", "network is empty") } else { networkName = name }
        }

        var stickyCookie: String?
        if let text = lb["sticky_session_cookie"] {
            let name = text.trimmed
            if name.isEmpty || !name.utf8.allSatisfy(isVariableByte) {
                fail("sticky_session_cookie", "sticky_session_cookie \"\(text)\" is not a cookie name (letters, digits, _)")
            } else if mode == .vip {
                warn("sticky_session_cookie", "sticky sessions need task mode; ignored because backend_mode is vip")
            } else {
                stickyCookie = name
            }
        }

        var ipHash = false
        if let text = lb["ip_hash"] {
            if let flag = parseBool(text) {
                if flag && mode == .vip {
                    warn("ip_hash", "ip_hash needs task mode; ignored because backend_mode is vip")
                } else {
                    ipHash = flag
                }
            } else {
                fail("ip_hash", "ip_hash \"\(text)\" is not true or false")
            }
        }

        var path = "/"
        if let text = lb["context_root"] {
            let root = text.trimmed
            if !isPath(root) {
                fail("context_root", "context_root \"\(text)\" is not a path starting with /")
            } else {
                path = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
            }
        }

        var contextRootRewrite = false
        if let text = lb["context_root_rewrite"] {
            if let flag = parseBool(text) { contextRootRewrite = flag } else {
                fail("context_root_rewrite", "context_root_rewrite \"\(text)\" is not true or false")
            }
        }

        var redirects: [Redirect] = []
        if let text = lb["redirects"] {
            for pair in text.split(separator: ";") where !pair.trimmed.isEmpty {
                let parts = pair.split(separator: ",", omittingEmptySubsequences: false).map(\.trimmed)
                if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty {
                    fail("redirects", "redirect \"\(pair)\" is not source,target")
                } else if let bad = parts.lazy.compactMap({ unsafeCharacter(in: $0) }).first {
                    fail("redirects", "redirect \"\(pair)\" contains \(bad), which a proxy configuration cannot carry")
                } else if Redirect(source: parts[0], target: parts[1]).sourceHost == nil {
                    fail("redirects", "redirect source \"\(parts[0])\" names no host (e.g. http://old.example.com)")
                } else {
                    redirects.append(Redirect(source: parts[0], target: parts[1]))
                }
            }
        }

        var websocketEndpoints: [String] = []
        if let text = lb["websocket_endpoints"] {
            for raw in text.split(separator: ",") {
                let endpoint = raw.trimmed
                if endpoint.isEmpty { continue }
                if isPath(endpoint) {
                    if !websocketEndpoints.contains(endpoint) { websocketEndpoints.append(endpoint) }
                } else {
                    fail("websocket_endpoints", "websocket endpoint \"\(endpoint)\" is not a path starting with /")
                }
            }
        }

        var cluster = ""
        if let text = lb["service_cluster"] {
            let name = text.trimmed
            if name == "_" {
                fail("service_cluster", "service_cluster \"_\" is reserved: it names the default cluster in URLs")
            } else if name.utf8.allSatisfy({ isVariableByte($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) {
                cluster = name
            } else {
                fail("service_cluster", "service_cluster \"\(text)\" may only hold letters, digits, '-', '_' and '.'")
            }
        }

        var maxFails: Int?
        if let text = lb["max_fails"] {
            if let value = Int(text.trimmed), value >= 0 { maxFails = value } else {
                fail("max_fails", "max_fails \"\(text)\" is not a whole number >= 0")
            }
        }

        var failTimeout: String?
        if let text = lb["fail_timeout"] {
            let value = text.trimmed
            if isNginxTime(value) { failTimeout = value } else {
                fail("fail_timeout", "fail_timeout \"\(text)\" is not an nginx time (e.g. 10s, 500ms, 1m)")
            }
        }

        var tls = parseTLS(lb, hosts: hosts, fail: fail, warn: warn)
        if tls.passthrough {
            // The proxy sees only the TLS handshake's server name: HTTP routing cannot apply.
            for name in httpOnlyLabels where lb[name] != nil {
                warn(name, "\(prefix + name) routes HTTP, which the proxy cannot see in a TLS connection it passes through (ssl_passthrough); ignored")
            }
            stickyCookie = nil
            path = "/"
            contextRootRewrite = false
            redirects = []
            websocketEndpoints = []
        }
        if tls.certificate != nil && tls.passthrough {
            tls.certificate = nil
            tls.key = nil
        }

        if !errors.isEmpty { return .invalid(errors: errors, warnings: warnings) }
        let routing = ServiceRouting(
            hosts: hosts, port: port, networkName: networkName, mode: mode, isDefaultBackend: isDefaultBackend,
            stickyCookie: stickyCookie, ipHash: ipHash, path: path, contextRootRewrite: contextRootRewrite,
            redirects: redirects, websocketEndpoints: websocketEndpoints, cluster: cluster,
            maxFails: maxFails, failTimeout: failTimeout, tls: tls.isEmpty ? nil : tls)
        return .published(routing, warnings: warnings)
    }

    /// The `ssl_*` labels: errors for values that are not valid, warnings for settings that cannot apply
    /// (and are dropped from the result).
    private static func parseTLS(_ lb: [String: String], hosts: [String], fail: (String, String) -> Void,
                                 warn: (String, String) -> Void) -> TLSSettings {
        var tls = TLSSettings()
        func flag(_ name: String) -> Bool {
            guard let text = lb[name] else { return false }
            if let value = parseBool(text) { return value }
            fail(name, "\(name) \"\(text)\" is not true or false")
            return false
        }
        func secret(_ name: String) -> String? {
            guard let text = lb[name] else { return nil }
            let value = text.trimmed
            if TLSSettings.isSecretName(value) { return value }
            fail(name, "\(name) \"\(text)\" is not a Docker secret name (letters, digits, '_', '.' and '-', at most 64)")
            return nil
        }
        tls.certificate = secret("ssl_cert")
        tls.key = secret("ssl_key")
        if lb["ssl_cert"] != nil && lb["ssl_key"] == nil {
            fail("ssl_cert", "\(prefix)ssl_cert needs \(prefix)ssl_key: a certificate comes with its private key")
        }
        if lb["ssl_key"] != nil && lb["ssl_cert"] == nil {
            fail("ssl_key", "\(prefix)ssl_key needs \(prefix)ssl_cert: a private key comes with its certificate")
        }
        tls.only = flag("ssl_only")
        tls.backend = flag("ssl_backend")
        tls.passthrough = flag("ssl_passthrough")
        if let text = lb["ssl_backend_tls_verify"] {
            if let value = BackendVerify(rawValue: text.trimmed.lowercased()) { tls.verify = value } else {
                fail("ssl_backend_tls_verify", "ssl_backend_tls_verify \"\(text)\" is not none or required")
            }
        }

        if tls.passthrough {
            if lb["ssl_cert"] != nil || lb["ssl_key"] != nil {
                warn(lb["ssl_cert"] != nil ? "ssl_cert" : "ssl_key",
                     "ssl_passthrough hands the TLS connection to the upstreams, so the proxy uses no certificate; ssl_cert and ssl_key are ignored")
            }
            if tls.backend || tls.verify != .none {
                warn(tls.backend ? "ssl_backend" : "ssl_backend_tls_verify",
                     "ssl_passthrough sends the client's own TLS to the upstreams; ssl_backend and ssl_backend_tls_verify are ignored")
            }
            tls.backend = false
            tls.verify = .none
        } else {
            if tls.only && lb["ssl_cert"] == nil {
                fail("ssl_only", "ssl_only redirects plain HTTP to HTTPS, but nothing would answer HTTPS: name a certificate (ssl_cert, ssl_key) or set ssl_passthrough")
            }
            if tls.verify == .required && !tls.backend {
                warn("ssl_backend_tls_verify", "ssl_backend_tls_verify applies to HTTPS upstreams only (ssl_backend=true); ignored")
                tls.verify = .none
            }
        }
        if hosts.isEmpty && !tls.isEmpty {
            let label = ["ssl_cert", "ssl_key", "ssl_only", "ssl_backend", "ssl_backend_tls_verify", "ssl_passthrough"].first { lb[$0] != nil }!
            warn(label, "TLS labels apply to the hosts a service names; a default backend without hosts answers plain HTTP only; ignored")
            tls = TLSSettings()
        }
        return tls
    }

    /// Go's `strconv.ParseBool`, which Interlock uses.
    static func parseBool(_ text: String) -> Bool? {
        switch text.trimmed {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    /// A lowercased host name, or a wildcard nginx accepts in `server_name`: `*` only as a whole first
    /// label (`*.example.com`) or a whole last one (`www.example.*`).
    static func isHostName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253, host.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "_")
        }) else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.contains(where: \.isEmpty) { return false }
        let wildcards = labels.indices.filter { labels[$0].contains("*") }
        guard let only = wildcards.first else { return true }
        return wildcards.count == 1 && labels[only] == "*" && labels.count > 1 && (only == 0 || only == labels.count - 1)
    }

    /// A path starting with `/` that nginx takes literally in `location` and `rewrite`: no whitespace,
    /// control characters, nor any of `;{}"'\$#`.
    static func isPath(_ text: String) -> Bool {
        text.hasPrefix("/") && unsafeCharacter(in: text) == nil
    }

    /// The first character of `text` that a proxy configuration cannot carry as a bare word, described
    /// for an error message; nil when there is none.
    static func unsafeCharacter(in text: String) -> String? {
        let forbidden: Set<Unicode.Scalar> = [";", "{", "}", "\"", "'", "\\", "$", "#"]
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F { return "whitespace or a control character" }
            if forbidden.contains(scalar) { return "'\(scalar)'" }
        }
        return nil
    }

    static func isVariableByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }

    static func isNginxTime(_ text: String) -> Bool {
        var digits = Substring(text)
        for unit in ["ms", "s", "m", "h", "d"] where digits.hasSuffix(unit) {
            digits = digits.dropLast(unit.count)
            break
        }
        return !digits.isEmpty && digits.utf8.count <= 9 && digits.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    var trimmed: String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
