/// What the nginx configuration takes from outside the proxy view: the proxy's ports, files and sizes.
/// Process settings (`pid`, `error_log`) are left to nginx's defaults or its `-g` option, so the same
/// configuration can run under any prefix.
public struct NginxSettings: Sendable, Hashable {
    /// The port every plain-HTTP `server` block listens on.
    public var listenPort: Int
    /// The address to listen on (an IPv4 or IPv6 literal); nil: every address.
    public var listenAddress: String?
    /// `worker_connections`.
    public var workerConnections: Int
    /// `access_log` (an absolute path, or `off`); nil: nginx's compiled-in default, which an unprivileged
    /// nginx may not be able to open.
    public var accessLog: String?
    /// The port HTTPS (and TLS passed through) is served on.
    public var tlsPort: Int
    /// Where the Docker secrets named by `ssl_cert` and `ssl_key` are files: a Swarm service mounts its
    /// secrets in `/run/secrets`, as Interlock's proxy does.
    public var secretsDirectory: String
    /// The CA bundle that upstream certificates must chain to with `ssl_backend_tls_verify=required`.
    public var backendCA: String
    /// The stream module, loaded when a passthrough host needs a `stream` block; nil: nginx has it
    /// already (built in, or loaded by an include of its own).
    public var streamModule: String?
    /// The loopback port terminated hosts listen on when passthrough hosts share the TLS port: the
    /// `stream` block reads each connection's server name and hands the terminated ones to it.
    public var terminationPort: Int

    /// The `listen` argument: `80`, `127.0.0.1:8080` or `[::1]:8080`.
    public var listen: String { listen(port: listenPort) }

    /// The `listen` argument of the TLS port.
    public var tlsListen: String { listen(port: tlsPort) }

    private func listen(port: Int) -> String {
        guard let listenAddress else { return String(port) }
        return listenAddress.contains(":") ? "[\(listenAddress)]:\(port)" : "\(listenAddress):\(port)"
    }

    /// Whether `text` can be an `access_log` argument: `off`, or a plain absolute path.
    public static func isAccessLog(_ text: String) -> Bool {
        text == "off" || isPlainPath(text)
    }

    /// Whether `text` is an absolute path of plain characters (no space, quote, `;`, `$`, `{` or `}` that
    /// could end the directive or inject another), as nginx takes it in a file argument.
    public static func isPlainPath(_ text: String) -> Bool {
        text.hasPrefix("/") && text.count < 1024
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "/._-+@=,".unicodeScalars.contains($0)) }
    }

    /// Whether `text` is an address nginx can listen on: an IPv4 dotted quad or an IPv6 literal.
    public static func isListenAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 && parts.allSatisfy({ UInt8($0) != nil && !$0.isEmpty }) { return true }
        return text.contains(":") && text.unicodeScalars.allSatisfy { $0 == ":" || $0.properties.isASCIIHexDigit }
    }

    /// The stream module of Debian's and Ubuntu's `libnginx-mod-stream`.
    public static let debianStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

    /// Creates settings; the defaults are those of a stock proxy.
    public init(listenPort: Int = 80, listenAddress: String? = nil, workerConnections: Int = 1024, accessLog: String? = nil,
                tlsPort: Int = 443, secretsDirectory: String = "/run/secrets", backendCA: String = "/etc/ssl/certs/ca-certificates.crt",
                streamModule: String? = NginxSettings.debianStreamModule, terminationPort: Int = 8443) {
        self.listenPort = listenPort
        self.listenAddress = listenAddress
        self.workerConnections = workerConnections
        self.accessLog = accessLog
        self.tlsPort = tlsPort
        self.secretsDirectory = secretsDirectory
        self.backendCA = backendCA
        self.streamModule = streamModule
        self.terminationPort = terminationPort
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
        let routed = view.frontends.filter { !$0.servers.isEmpty }
        let frontends = routed.filter { $0.tls?.passthrough != true }
        let passthrough = routed.filter { $0.tls?.passthrough == true }
        let names = upstreamNames(frontends)
        let hosts = hostServers(frontends, passthrough: passthrough, names: names)
        let terminated = hosts.filter { $0.tls != nil }
        // With passthrough hosts the stream block owns the TLS port; terminated hosts move to a loopback port.
        let tlsListen = passthrough.isEmpty ? settings.tlsListen : "127.0.0.1:\(settings.terminationPort)"

        out.line("# Managed by RouteLedger: rewritten on every reload, do not edit.")
        out.line("# service cluster: \(view.cluster.isEmpty ? "_ (the default cluster)" : view.cluster)")
        out.line("# config version: \(version.hex)")
        if !passthrough.isEmpty, let module = settings.streamModule { out.line("load_module \(module);") }
        out.line("worker_processes auto;")
        out.blank()
        out.block("events") { out in out.line("worker_connections \(settings.workerConnections);") }
        out.blank()
        out.block("http") { out in
            if let accessLog = settings.accessLog { out.line("access_log \(accessLog);") }
            httpPreamble(cluster: clusterName, version: version, into: &out)
            if !terminated.isEmpty {
                out.blank()
                out.line("ssl_protocols TLSv1.2 TLSv1.3;")
                out.line("ssl_session_cache shared:routeledger_tls:10m;")
            }
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
            if !terminated.isEmpty {
                out.blank()
                out.comment("HTTPS for a server name no service claims: the handshake is refused.")
                out.block("server") { out in
                    out.line("listen \(tlsListen) ssl default_server;")
                    out.line("server_name _;")
                    out.line("ssl_reject_handshake on;")
                }
            }
            for host in hosts {
                out.blank()
                server(host, listen: settings.listen, tlsListen: tlsListen, settings: settings, into: &out)
            }
        }
        if !passthrough.isEmpty {
            out.blank()
            stream(passthrough, terminated: terminated.map(\.name), settings: settings, into: &out)
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
            for server in servers.sorted(by: numericOrder) { out.line(serverLine(server)) }
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

    static func server(_ host: HostServer, listen: String, tlsListen: String, settings: NginxSettings, into out: inout NginxWriter) {
        if host.tls?.only == true {
            // ssl_only: plain HTTP answers 301 to the same URL over HTTPS.
            httpsRedirect(host.name, listen: listen, settings: settings, into: &out)
            out.blank()
        } else if host.tls == nil && host.sslOnly {
            // A passthrough host with ssl_only: plain HTTP gets the redirect, TLS goes to the stream block.
            httpsRedirect(host.name, listen: listen, settings: settings, into: &out)
            return
        }
        out.block("server") { out in
            if host.tls?.only != true { out.line("listen \(listen);") }
            if let tls = host.tls, let certificate = tls.certificate, let key = tls.key {
                out.line("listen \(tlsListen) ssl;")
                out.line("server_name \(host.name);")
                out.line("ssl_certificate \(settings.secretsDirectory)/\(certificate);")
                out.line("ssl_certificate_key \(settings.secretsDirectory)/\(key);")
            } else {
                out.line("server_name \(host.name);")
            }
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
                    if let verify = location.backendTLS {
                        out.line("proxy_pass https://\(location.upstream);")
                        // The upstream sees (and its certificate is checked against) the host the client asked for.
                        out.line("proxy_ssl_server_name on;")
                        out.line("proxy_ssl_name $host;")
                        if verify == .required {
                            out.line("proxy_ssl_verify on;")
                            out.line("proxy_ssl_verify_depth 4;")
                            out.line("proxy_ssl_trusted_certificate \(settings.backendCA);")
                        }
                    } else {
                        out.line("proxy_pass http://\(location.upstream);")
                    }
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

    static func httpsRedirect(_ name: String, listen: String, settings: NginxSettings, into out: inout NginxWriter) {
        out.block("server") { out in
            out.line("listen \(listen);")
            out.line("server_name \(name);")
            out.line("return 301 https://$host\(settings.tlsPort == 443 ? "" : ":\(settings.tlsPort)")$request_uri;")
        }
    }

    /// TLS connections routed by the server name of their handshake (`ssl_preread`), not terminated: to a
    /// passthrough host's upstreams, to the terminated hosts' loopback port, and nowhere for other names.
    static func stream(_ passthrough: [ProxyFrontend], terminated: [String], settings: NginxSettings, into out: inout NginxWriter) {
        let names = upstreamNames(passthrough)
        out.block("stream") { out in
            out.comment("TLS by server name (SNI): passed through to its upstreams, or to the terminated hosts.")
            out.block("map $ssl_preread_server_name $routeledger_tls_route") { out in
                out.line("hostnames;")
                for frontend in passthrough { out.line("\(frontend.key.host) \(names[frontend.key]!);") }
                for host in terminated where !passthrough.contains(where: { $0.key.host == host }) {
                    out.line("\(host) routeledger_terminated;")
                }
                out.line("default routeledger_no_route;")
            }
            for frontend in passthrough {
                out.blank()
                out.comment("\(frontend.key.host) (passthrough): \(frontend.servers.count) server\(frontend.servers.count == 1 ? "" : "s")")
                out.block("upstream \(names[frontend.key]!)") { out in
                    if frontend.ipHash { out.line("hash $remote_addr consistent;") }
                    for server in frontend.servers.sorted(by: numericOrder) { out.line(serverLine(server)) }
                }
            }
            if !terminated.isEmpty {
                out.blank()
                out.comment("Terminated hosts: the http block's TLS servers, on loopback.")
                out.block("upstream routeledger_terminated") { out in out.line("server 127.0.0.1:\(settings.terminationPort);") }
            }
            out.blank()
            out.comment("A server name no service claims: the connection is closed.")
            out.block("upstream routeledger_no_route") { out in out.line("server 127.0.0.1:1 down;") }
            out.blank()
            out.block("server") { out in
                out.line("listen \(settings.tlsListen);")
                out.line("ssl_preread on;")
                out.line("proxy_pass $routeledger_tls_route;")
            }
        }
    }

    static func serverLine(_ server: ProxyServer) -> String {
        var line = "server \(server.address)"
        if let maxFails = server.maxFails { line += " max_fails=\(maxFails)" }
        if let failTimeout = server.failTimeout { line += " fail_timeout=\(failTimeout)" }
        return line + ";"
    }

    // MARK: - Layout

    /// A `server` block: one host, its locations, or a redirect of the whole host.
    struct HostServer {
        var name: String
        var locations: [Location] = []
        var redirect: Redirect?
        /// The TLS the host terminates: from its first frontend (by path, so `/` first) with a certificate.
        var tls: TLSSettings?
        /// A passthrough host with `ssl_only`: plain HTTP redirects to HTTPS.
        var sslOnly = false
    }

    struct Location {
        var path: String
        var upstream: String
        var websocket: Bool
        /// The context root to strip, when the frontend asks for it.
        var rewriteRoot: String?
        /// HTTPS to the upstreams (`ssl_backend`) and whether their certificates are checked; nil: HTTP.
        var backendTLS: BackendVerify?

        init(path: String, upstream: String, websocket: Bool, rewriteRoot: String?, tls: TLSSettings?) {
            self.path = path
            self.upstream = upstream
            self.websocket = websocket
            self.rewriteRoot = rewriteRoot
            backendTLS = tls?.backend == true ? tls?.verify : nil
        }
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
    static func hostServers(_ frontends: [ProxyFrontend], passthrough: [ProxyFrontend] = [], names: [FrontendKey: String]) -> [HostServer] {
        var hosts: [String: HostServer] = [:]
        for frontend in frontends {
            let upstream = names[frontend.key]!
            var host = hosts[frontend.key.host] ?? HostServer(name: frontend.key.host)
            let rewrite = frontend.contextRootRewrite && frontend.key.path != "/" ? frontend.key.path : nil
            if let index = host.locations.firstIndex(where: { $0.path == frontend.key.path }) {
                // A websocket endpoint of an earlier frontend took the path: the frontend's own root wins.
                host.locations[index] = Location(path: frontend.key.path, upstream: upstream, websocket: false, rewriteRoot: rewrite,
                                                 tls: frontend.tls)
            } else {
                host.locations.append(Location(path: frontend.key.path, upstream: upstream, websocket: false, rewriteRoot: rewrite,
                                               tls: frontend.tls))
            }
            if host.tls == nil, let tls = frontend.tls, tls.terminates { host.tls = tls }
            hosts[frontend.key.host] = host
        }
        for frontend in frontends {
            var host = hosts[frontend.key.host]!
            for endpoint in frontend.websocketEndpoints {
                if let index = host.locations.firstIndex(where: { $0.path == endpoint }) {
                    if host.locations[index].upstream == names[frontend.key]! { host.locations[index].websocket = true }
                } else {
                    host.locations.append(Location(path: endpoint, upstream: names[frontend.key]!, websocket: true, rewriteRoot: nil,
                                                   tls: frontend.tls))
                }
            }
            hosts[frontend.key.host] = host
        }
        for frontend in passthrough where frontend.tls?.only == true && hosts[frontend.key.host] == nil {
            hosts[frontend.key.host] = HostServer(name: frontend.key.host, sslOnly: true)
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
