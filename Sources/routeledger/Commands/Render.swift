import ArgumentParser
import RouteLedgerCore
import RouteLedgerStore

extension RouteLedger {
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a proxy configuration at a point in the log.",
            subcommands: [Nginx.self])
    }
}

extension RouteLedger.Render {
    struct Nginx: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the nginx.conf of one service cluster at a point in the log (default: now).",
            discussion: """
                A complete configuration in the layout of Interlock's nginx template: an upstream per \
                frontend, a server per host, a location per context root, websocket upgrades, 302 \
                redirects, and a default_server that proxies to the cluster's default backend or answers \
                503. Frontends without upstreams are left out. The file names its config version, the \
                same version `reloads` and the HTTP API's ETag give.

                pid and error_log are left to nginx (its defaults, or -g at start), so the file runs \
                under any prefix.

                Hosts with ssl_cert and ssl_key get a TLS server on --tls-port with the certificate and key \
                read from --secrets-dir/<secret name>; ssl_only hosts answer plain HTTP with 301 to HTTPS; \
                ssl_backend proxies to https:// upstreams (checked against --backend-ca with \
                ssl_backend_tls_verify=required). Passthrough hosts (ssl_passthrough) are routed by the TLS \
                server name in a stream block, which needs nginx's stream module (--stream-module); \
                terminated hosts then listen on 127.0.0.1:--termination-port behind it. A TLS server name no \
                service claims is refused. See docs/PROXY.md.

                Examples:
                  routeledger render nginx > /etc/nginx/nginx.conf && nginx -t && nginx -s reload
                  routeledger render nginx --at 2026-11-27T03:12:00Z --cluster edge
                  routeledger render nginx --secrets-dir /run/secrets --tls-port 443 --stream-module none
                  diff <(routeledger render nginx --seq 811) <(routeledger render nginx --seq 812)
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var point: PointOptions

        @Option(help: ArgumentHelp("The service cluster (default: the default cluster; \"_\" names it too).", valueName: "name"))
        var cluster: String = ""

        @Option(help: ArgumentHelp("The port nginx listens on.", valueName: "N"))
        var port: Int = 80

        @Option(help: ArgumentHelp("The address nginx listens on (default: all), e.g. 127.0.0.1.", valueName: "ip"))
        var address: String?

        @Option(help: ArgumentHelp("nginx's access log: an absolute path, or off (default: nginx's own).", valueName: "path"))
        var accessLog: String?

        @OptionGroup(title: "TLS (services with ssl_* labels)") var tls: NginxTLSOptions

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port \(port) is not a port from 1 to 65535") }
            if let address, !NginxSettings.isListenAddress(address) {
                throw ValidationError("--address \"\(address)\" is not an IPv4 or IPv6 address")
            }
            if let accessLog, !NginxSettings.isAccessLog(accessLog) {
                throw ValidationError("--access-log \"\(accessLog)\" is not off or an absolute path of plain characters")
            }
        }

        func run() throws {
            let log = try global.openLog(create: false)
            let at = try point.resolve(in: log)
            if let first = try point.precedesLog(at, in: log) {
                throw InputError("\(point.at.map { "--at \($0)" } ?? "--seq 0") is before the first event (\(first.rfc3339)): there is no configuration to render there")
            }
            let name = ClusterName.parse(cluster)
            let projection = try log.projection(through: at)
            let view = ProxyView(cluster: name, projection: projection)
            if view.frontends.isEmpty && view.defaultBackend.isEmpty {
                let label = name.isEmpty ? "the default service cluster" : "service cluster \"\(name)\""
                Terminal.note("\(label) routes nothing at seq \(at.seq): every request gets 503")
            }
            let settings = tls.apply(to: NginxSettings(listenPort: port, listenAddress: address, accessLog: accessLog))
            print(NginxConfig.render(view, version: view.version, settings: settings), terminator: "")
        }
    }
}
