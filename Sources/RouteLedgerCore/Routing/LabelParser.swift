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
    /// Matched case-sensitively; labels without it are neither read nor warned about.
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

    /// Parses the labels of the service named `service`: each label by its reader (``LabelReader``), then
    /// what they say together (a passthrough frontend routes no HTTP).
    public static func parse(_ labels: [String: String], service: String) -> LabelParse {
        var reader = LabelReader(labels, service: service)
        if reader.isEmpty { return .notPublished }
        reader.warnAboutUnknownLabels()
        let hosts = reader.hosts()
        let isDefaultBackend = reader.flag("default_backend")
        if hosts.isEmpty && !isDefaultBackend && reader.errors.isEmpty {
            return reader.publishingNearMiss() ?? .notPublished
        }
        // In the order of their diagnostics.
        let port = reader.port()
        let mode = reader.backendMode()
        let network = reader.network()
        let stickyCookie = reader.stickyCookie(mode: mode)
        let ipHash = reader.ipHash(mode: mode)
        let path = reader.contextRoot()
        let contextRootRewrite = reader.flag("context_root_rewrite")
        let redirects = reader.redirects()
        let websocketEndpoints = reader.websocketEndpoints()
        let cluster = reader.cluster()
        let maxFails = reader.maxFails()
        let failTimeout = reader.failTimeout()
        let tls = reader.tls(hosts: hosts)
        var routing = ServiceRouting(
            hosts: hosts, port: port, networkName: network, mode: mode, isDefaultBackend: isDefaultBackend,
            stickyCookie: stickyCookie, ipHash: ipHash, path: path, contextRootRewrite: contextRootRewrite,
            redirects: redirects, websocketEndpoints: websocketEndpoints, cluster: cluster,
            maxFails: maxFails, failTimeout: failTimeout, tls: nil)
        if tls.passthrough {
            // The proxy sees only the TLS handshake's server name: HTTP routing cannot apply.
            for name in httpOnlyLabels where reader.labels[name] != nil {
                reader.warn(name, "\(prefix + name) routes HTTP, which the proxy cannot see in a TLS connection it passes through (ssl_passthrough); ignored")
            }
            routing.stickyCookie = nil
            routing.path = "/"
            routing.contextRootRewrite = false
            routing.redirects = []
            routing.websocketEndpoints = []
        }
        routing.tls = tls.isEmpty ? nil : tls
        if !reader.errors.isEmpty { return .invalid(errors: reader.errors, warnings: reader.warnings) }
        return .published(routing, warnings: reader.warnings)
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
