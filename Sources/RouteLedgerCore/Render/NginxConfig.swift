/// What the nginx configuration takes from outside the proxy view: the proxy's listen port and sizes.
/// Process settings (`pid`, `error_log`) are left to nginx's defaults or its `-g` option, so the same
/// configuration can run under any prefix.
public struct NginxSettings: Sendable, Hashable {
    /// The port every `server` block listens on.
    public var listenPort: Int
    /// The address to listen on (an IPv4 or IPv6 literal); nil: every address.
    public var listenAddress: String?
    /// `worker_connections`.
    public var workerConnections: Int
    /// `access_log` (an absolute path, or `off`); nil: nginx's compiled-in default, which an unprivileged
    /// nginx may not be able to open.
    public var accessLog: String?

    /// The `listen` argument: `80`, `127.0.0.1:8080` or `[::1]:8080`.
    public var listen: String {
        guard let listenAddress else { return String(listenPort) }
        return listenAddress.contains(":") ? "[\(listenAddress)]:\(listenPort)" : "\(listenAddress):\(listenPort)"
    }

    /// Whether `text` can be an `access_log` argument: `off`, or an absolute path of plain characters (no
    /// space, quote, `;`, `$`, `{` or `}` that could end the directive or inject another).
    public static func isAccessLog(_ text: String) -> Bool {
        if text == "off" { return true }
        return text.hasPrefix("/") && text.count < 1024
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "/._-+@=,".unicodeScalars.contains($0)) }
    }

    /// Whether `text` is an address nginx can listen on: an IPv4 dotted quad or an IPv6 literal.
    public static func isListenAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 && parts.allSatisfy({ UInt8($0) != nil && !$0.isEmpty }) { return true }
        return text.contains(":") && text.unicodeScalars.allSatisfy { $0 == ":" || $0.properties.isASCIIHexDigit }
    }

    /// Creates settings; the defaults are those of a stock proxy.
    public init(listenPort: Int = 80, listenAddress: String? = nil, workerConnections: Int = 1024, accessLog: String? = nil) {
        self.listenPort = listenPort
        self.listenAddress = listenAddress
        self.workerConnections = workerConnections
        self.accessLog = accessLog
    }
}

/// Renders a service cluster's ``ProxyView`` as a complete `nginx.conf`, with the layout of Interlock's
/// nginx template: an `upstream` per frontend, a `server` per host with a `location` per context root,
/// websocket upgrades, 302 redirects, and a `default_server` for hosts nobody claims.
///
/// The text depends on the view and the settings only, so one config version always renders the same
/// file; each response carries the version in `x-server-info`, which tells an operator which
/// configuration served a request.
public enum NginxConfig {
    /// The configuration for `view`, whose version is `version`.
    public static func render(_ view: ProxyView, version: ConfigVersion, settings: NginxSettings = NginxSettings()) -> String {
        var out = NginxWriter()
        let clusterName = view.cluster.isEmpty ? "_" : view.cluster
        out.line("# Managed by RouteLedger: rewritten on every reload, do not edit.")
        out.line("# service cluster: \(view.cluster.isEmpty ? "_ (the default cluster)" : view.cluster)")
        out.line("# config version: \(version.hex)")
        out.line("worker_processes auto;")
        out.blank()
        out.block("events") { out in out.line("worker_connections \(settings.workerConnections);") }
        out.blank()
        out.block("http") { out in
            if let accessLog = settings.accessLog { out.line("access_log \(accessLog);") }
            httpPreamble(cluster: clusterName, version: version, into: &out)
            let frontends = view.frontends.filter { !$0.servers.isEmpty }
            let names = upstreamNames(frontends)
            for frontend in frontends {
                out.blank()
                upstream(names[frontend.key]!, servers: frontend.servers, frontend: frontend,
                         comment: "\(frontend.key.host)\(frontend.key.path)", into: &out)
            }
            if !view.defaultBackend.isEmpty {
                out.blank()
                upstream("default_backend", servers: view.defaultBackend, frontend: nil, comment: "default backend", into: &out)
            }
            out.blank()
            defaultServer(hasBackend: !view.defaultBackend.isEmpty, listen: settings.listen, into: &out)
            for host in hostServers(frontends, names: names) {
                out.blank()
                server(host, listen: settings.listen, into: &out)
            }
        }
        return out.text
    }

    // MARK: - Blocks

    static func httpPreamble(cluster: String, version: ConfigVersion, into out: inout NginxWriter) {
        out.line("default_type application/octet-stream;")
        out.line("server_names_hash_bucket_size 128;")
        out.line("client_max_body_size 2048m;")
        out.line("sendfile on;")
        out.line("keepalive_timeout 65;")
        out.line("server_tokens off;")
        out.blank()
        out.comment("Upgrade websocket requests; close other connections to upstreams as usual.")
        out.block("map $http_upgrade $connection_upgrade") { out in
            out.line("default upgrade;")
            out.line("'' close;")
        }
        out.comment("Pass X-Forwarded-Proto through when a proxy in front set it.")
        out.block("map $http_x_forwarded_proto $proxy_x_forwarded_proto") { out in
            out.line("default $http_x_forwarded_proto;")
            out.line("'' $scheme;")
        }
        out.blank()
        proxyHeaders(into: &out)
        out.blank()
        out.line("add_header x-request-id $request_id always;")
        out.line("add_header x-proxy-id $hostname always;")
        out.line("add_header x-server-info \"routeledger cluster=\(cluster) version=\(version.hex.prefix(12))\" always;")
        out.line("add_header x-upstream-addr $upstream_addr always;")
    }

    /// Request headers for upstreams. `proxy_set_header` in a `location` replaces all inherited ones, so
    /// websocket locations repeat them.
    static func proxyHeaders(into out: inout NginxWriter) {
        out.line("proxy_set_header Host $http_host;")
        out.line("proxy_set_header X-Real-IP $remote_addr;")
        out.line("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
        out.line("proxy_set_header X-Forwarded-Proto $proxy_x_forwarded_proto;")
        out.line("proxy_set_header X-Request-Id $request_id;")
    }

    static func upstream(_ name: String, servers: [ProxyServer], frontend: ProxyFrontend?, comment: String,
                         into out: inout NginxWriter) {
        out.comment("\(comment): \(servers.count) server\(servers.count == 1 ? "" : "s")")
        out.block("upstream \(name)") { out in
            if let cookie = frontend?.stickyCookie {
                out.line("hash $cookie_\(cookie) consistent;")
            } else if frontend?.ipHash == true {
                out.line("ip_hash;")
            }
            for server in servers.sorted(by: numericOrder) {
                var line = "server \(server.address)"
                if let maxFails = server.maxFails { line += " max_fails=\(maxFails)" }
                if let failTimeout = server.failTimeout { line += " fail_timeout=\(failTimeout)" }
                out.line(line + ";")
            }
        }
    }

    static func defaultServer(hasBackend: Bool, listen: String, into out: inout NginxWriter) {
        out.comment(hasBackend ? "Hosts no service claims go to the default backend." : "Hosts no service claims: 503, no default backend.")
        out.block("server") { out in
            out.line("listen \(listen) default_server;")
            out.line("server_name _;")
            out.block("location /") { out in
                if hasBackend { out.line("proxy_pass http://default_backend;") } else { out.line("return 503;") }
            }
        }
    }

    static func server(_ host: HostServer, listen: String, into out: inout NginxWriter) {
        out.block("server") { out in
            out.line("listen \(listen);")
            out.line("server_name \(host.name);")
            if let redirect = host.redirect {
                out.line("return 302 \(redirectTarget(redirect));")
                return
            }
            if !host.locations.contains(where: { $0.path == "/" }) {
                // Only context roots on this host: anything else is not found (not nginx's default pages).
                out.block("location /") { out in out.line("return 404;") }
            }
            for location in host.locations {
                out.block("location \(location.path)") { out in
                    if let root = location.rewriteRoot {
                        out.line("rewrite ^\(regexEscaped(root))/?(.*)$ /$1 break;")
                    }
                    out.line("proxy_pass http://\(location.upstream);")
                    if location.websocket {
                        out.line("proxy_http_version 1.1;")
                        proxyHeaders(into: &out)
                        out.line("proxy_set_header Upgrade $http_upgrade;")
                        out.line("proxy_set_header Connection $connection_upgrade;")
                    }
                }
            }
        }
    }

    // MARK: - Layout

    /// A `server` block: one host, its locations, or a redirect of the whole host.
    struct HostServer {
        var name: String
        var locations: [Location] = []
        var redirect: Redirect?
    }

    struct Location {
        var path: String
        var upstream: String
        var websocket: Bool
        /// The context root to strip, when the frontend asks for it.
        var rewriteRoot: String?
    }

    /// A name per frontend derived from the frontend itself (`fe-web.local`, `fe-shop.local-api` for context
    /// root /api), so adding or removing another frontend renames none and a diff of two configurations
    /// shows only what changed. Characters nginx does not take in a name become `_`, `*` becomes `any`; a
    /// name two frontends would share gets `-2`, `-3`, … in frontend order.
    static func upstreamNames(_ frontends: [ProxyFrontend]) -> [FrontendKey: String] {
        var names: [FrontendKey: String] = [:]
        var used: Set<String> = []
        for frontend in frontends {
            let path = frontend.key.path == "/" ? "" : "-" + sanitized(String(frontend.key.path.dropFirst()))
            let base = "fe-" + sanitized(frontend.key.host) + path
            var name = base
            var suffix = 2
            while used.contains(name) {
                name = "\(base)-\(suffix)"
                suffix += 1
            }
            used.insert(name)
            names[frontend.key] = name
        }
        return names
    }

    private static func sanitized(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "*" {
                out += "any"
            } else if character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "-") {
                out.append(character)
            } else {
                out.append("_")
            }
        }
        return out
    }

    /// Servers by address as numbers (10.0.2.51 before 10.0.2.238), then port; the view keeps its canonical
    /// order, which the version hashes.
    static func numericOrder(_ a: ProxyServer, _ b: ProxyServer) -> Bool {
        let (x, y) = (numericKey(a.address), numericKey(b.address))
        return x != y ? x.lexicographicallyPrecedes(y) : a < b
    }

    /// An IPv4 `a.b.c.d:port` as `[a, b, c, d, port]`; anything else (IPv6) as `[]`, after every IPv4.
    private static func numericKey(_ address: String) -> [Int] {
        let parts = address.split(whereSeparator: { $0 == "." || $0 == ":" }).compactMap { Int($0) }
        return parts.count == 5 && !address.hasPrefix("[") ? parts : [Int.max]
    }

    /// One server per host, in host order. A location is written once per server: a frontend's own context
    /// root first, then websocket endpoints not already taken by another frontend of the host. A redirect
    /// whose source is a routed host redirects that host; one whose source no frontend serves gets a server
    /// of its own.
    static func hostServers(_ frontends: [ProxyFrontend], names: [FrontendKey: String]) -> [HostServer] {
        var hosts: [String: HostServer] = [:]
        for frontend in frontends {
            let upstream = names[frontend.key]!
            var host = hosts[frontend.key.host] ?? HostServer(name: frontend.key.host)
            let rewrite = frontend.contextRootRewrite && frontend.key.path != "/" ? frontend.key.path : nil
            if let index = host.locations.firstIndex(where: { $0.path == frontend.key.path }) {
                // A websocket endpoint of an earlier frontend took the path: the frontend's own root wins.
                host.locations[index] = Location(path: frontend.key.path, upstream: upstream, websocket: false, rewriteRoot: rewrite)
            } else {
                host.locations.append(Location(path: frontend.key.path, upstream: upstream, websocket: false, rewriteRoot: rewrite))
            }
            hosts[frontend.key.host] = host
        }
        for frontend in frontends {
            var host = hosts[frontend.key.host]!
            for endpoint in frontend.websocketEndpoints {
                if let index = host.locations.firstIndex(where: { $0.path == endpoint }) {
                    if host.locations[index].upstream == names[frontend.key]! { host.locations[index].websocket = true }
                } else {
                    host.locations.append(Location(path: endpoint, upstream: names[frontend.key]!, websocket: true, rewriteRoot: nil))
                }
            }
            hosts[frontend.key.host] = host
        }
        for redirect in frontends.flatMap(\.redirects).sorted() {
            guard let source = redirect.sourceHost else { continue }
            var host = hosts[source] ?? HostServer(name: source)
            if host.redirect == nil { host.redirect = redirect }
            hosts[source] = host
        }
        return hosts.keys.sorted().map { name in
            var host = hosts[name]!
            host.locations.sort { $0.path < $1.path }
            return host
        }
    }

    /// The 302 target: the redirect's target with the request's URI appended (`http://new.example.com`
    /// plus `/a?b`); a target without a scheme is taken as a host.
    static func redirectTarget(_ redirect: Redirect) -> String {
        var target = redirect.target
        if !target.contains("://") { target = "$scheme://" + target }
        while target.hasSuffix("/") { target.removeLast() }
        return target + "$request_uri"
    }

    /// `path` with the characters a PCRE pattern gives a meaning escaped.
    static func regexEscaped(_ path: String) -> String {
        var out = ""
        for character in path {
            if ".^$*+?()[]{}|\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

/// Indented nginx configuration text.
struct NginxWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ content: String) {
        text += String(repeating: "    ", count: depth) + content + "\n"
    }

    mutating func comment(_ content: String) { line("# " + content) }

    mutating func blank() { text += "\n" }

    mutating func block(_ head: String, _ body: (inout NginxWriter) -> Void) {
        line(head + " {")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }
}
