import ArgumentParser
import Foundation
import Logging
import RouteLedgerAgent
import RouteLedgerCore

extension RouteLedger {
    struct Agent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a proxy agent: long-poll a cluster's nginx config, test it, reload nginx, report back.",
            discussion: """
                Each new version is written next to --nginx-conf, checked with `nginx -t`, moved into place \
                in one rename, and nginx is reloaded (`nginx -s reload`, or --reload-cmd). When nginx \
                refuses it, the last good file stays and the version is not fetched again until a newer \
                one exists; when only the reload fails, the last good file is put back and the reload is \
                tried again with backoff. With --token-file each outcome is appended to the log as proxy.applied, \
                proxy.rejected (nginx refused the configuration) or proxy.failed (this host could not test or \
                reload nginx: a missing binary, permissions; never blamed on the configuration), so `why` and \
                `timeline` show which proxies ran which reload. --metrics-file keeps Prometheus metrics of the \
                rounds (routeledger_agent_rounds_total{outcome}, routeledger_agent_host_problem, …). nginx must \
                already be running (start it once on `routeledger render nginx`). While the server is \
                away the agent retries with backoff; SIGINT or SIGTERM stops it.

                With several servers (replicas of one log: --server A --server B, or --server A,B) the agent \
                sticks to one and moves to the next on a connection error, a timeout or an error answer; it \
                pauses only when every one has failed in a row. It never goes back to an older configuration \
                than nginx runs: a replica that serves an older reload counts as failed.

                Examples:
                  routeledger agent --nginx-conf /etc/nginx/nginx.conf --token-file /etc/routeledger/token
                  routeledger agent --server http://10.0.0.5:7420 --cluster edge --nginx-conf /etc/nginx/nginx.conf \\
                      --reload-cmd 'systemctl reload nginx' --proxy-id edge-1
                  routeledger agent --server http://10.0.0.5:7420,http://10.0.0.6:7420 --nginx-conf /etc/nginx/nginx.conf
                  routeledger agent --nginx-conf /etc/nginx/nginx.conf --secrets-dir /run/secrets --stream-module none
                """)

        @Option(help: ArgumentHelp("A RouteLedger server (repeatable, or comma-separated: replicas of one log; default http://127.0.0.1:7420).", valueName: "url"))
        var server: [String] = []

        /// The servers, in the order given.
        var servers: [String] {
            let listed = server.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
            return listed.isEmpty ? ["http://127.0.0.1:7420"] : listed
        }

        @Option(help: ArgumentHelp("The service cluster (\"_\" is the default cluster).", valueName: "name"))
        var cluster = "_"

        @Option(help: ArgumentHelp("The nginx configuration file the agent owns.", valueName: "path"))
        var nginxConf: String

        @Option(help: ArgumentHelp("The nginx binary.", valueName: "path"))
        var nginxBin = "nginx"

        @Option(help: ArgumentHelp("A shell command that reloads nginx (default: nginx -s reload -c CONF).", valueName: "command"))
        var reloadCmd: String?

        @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp(
            "An argument for nginx on every run (repeatable), before -t or -s reload.",
            discussion: "How an unprivileged nginx finds what is not the root's: --nginx-arg -p --nginx-arg /srv/nginx/ --nginx-arg -g --nginx-arg 'pid /srv/nginx/nginx.pid;'.",
            valueName: "arg"))
        var nginxArg: [String] = []

        @Option(help: ArgumentHelp("nginx's access log in the configurations it gets: an absolute path, or off (default: nginx's own).", valueName: "path"))
        var accessLog: String?

        @Option(help: ArgumentHelp("A file holding the server's bearer token, to record proxy.applied/rejected/failed.", valueName: "path"))
        var tokenFile: String?

        @Option(help: ArgumentHelp("CA certificates (PEM) that signed the servers' certificates, for https:// servers with their own CA.", valueName: "path"))
        var caFile: String?

        @Option(help: ArgumentHelp("Write metrics (Prometheus text) to this file after each round, e.g. for node_exporter's textfile collector.", valueName: "path"))
        var metricsFile: String?

        @Option(help: ArgumentHelp("This proxy's id in the log (default: the host name).", valueName: "id"))
        var proxyId: String?

        @Option(help: ArgumentHelp("The port nginx listens on (default: the server's, 80).", valueName: "N"))
        var port: Int?

        @Option(help: ArgumentHelp("The address nginx listens on (default: all), e.g. 127.0.0.1.", valueName: "ip"))
        var address: String?

        @OptionGroup(title: "TLS (services with ssl_* labels; see render nginx --help)") var tls: NginxTLSOptions

        @Option(help: ArgumentHelp("How long one long-poll waits (e.g. 30s).", valueName: "duration"))
        var wait = "30s"

        @Flag(help: "Run one round and exit: 0 when applied or unchanged, 1 when refused or the server is away.")
        var once = false

        @Option(help: ArgumentHelp("Log level on stderr.", valueName: "level"))
        var logLevel: Logger.Level = .info

        func validate() throws {
            guard let duration = DurationText.nanoseconds(wait), duration >= 1_000_000_000 else {
                throw ValidationError("--wait \"\(wait)\" is not a duration of at least 1s (e.g. 30s)")
            }
            if let port, !(1...65535).contains(port) { throw ValidationError("--port \(port) is not a port from 1 to 65535") }
            if let address, !NginxSettings.isListenAddress(address) {
                throw ValidationError("--address \"\(address)\" is not an IPv4 or IPv6 address")
            }
            if let accessLog, !NginxSettings.isAccessLog(accessLog) {
                throw ValidationError("--access-log \"\(accessLog)\" is not off or an absolute path of plain characters")
            }
            for server in servers where !(server.hasPrefix("http://") || server.hasPrefix("https://")) {
                throw ValidationError("--server \"\(server)\" is not an http:// or https:// URL")
            }
        }

        func run() async throws {
            LogSetup.bootstrapOnce(level: logLevel)
            var logger = Logger(label: "routeledger.agent")
            logger.logLevel = logLevel
            let token = try tokenFile.map(Serve.readToken)
            let directory = (nginxConf as NSString).deletingLastPathComponent
            guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory) else {
                throw InputError("the directory of --nginx-conf \(nginxConf) does not exist")
            }
            let configuration = AgentConfiguration(
                servers: servers, cluster: cluster, configFile: ConfigFile(path: nginxConf),
                nginx: NginxControl(binary: nginxBin, reloadCommand: reloadCmd, arguments: nginxArg), token: token,
                proxyID: proxyId ?? ProcessInfo.processInfo.hostName,
                // --once looks once and returns: no long-poll.
                wait: once ? .zero : DurationText.duration(wait)!, listenPort: port, listenAddress: address)
            var agentConfiguration = configuration
            agentConfiguration.accessLog = accessLog
            agentConfiguration.metricsFile = metricsFile
            agentConfiguration.tlsParameters = tls.parameters
            let agent: RouteLedgerAgent.Agent
            do {
                agent = RouteLedgerAgent.Agent(configuration: agentConfiguration, client: try RouteLedgerAgent.Agent.client(trusting: caFile),
                                               logger: logger)
            } catch {
                throw InputError("\(error)")
            }
            if once {
                let step = await agent.step()
                await agent.close()
                switch step {
                case .applied(let version): print("applied \(version)")
                case .unchanged: print("unchanged \(await agent.running ?? "-")")
                case .rejected(let version, let error): throw InputError("nginx refused \(version.prefix(12)): \(error)")
                case .reloadFailed(let version, let error):
                    throw InputError("nginx accepted \(version.prefix(12)) but did not reload (the last good file is back\(token == nil ? "" : "; reported as proxy.failed")): \(error)")
                case .serverAway(let reason): throw InputError(reason)
                case .nginxUnavailable(let version, let error):
                    throw InputError("nginx could not check \(version.prefix(12)), a problem of this host and not of the configuration\(token == nil ? "" : " (reported as proxy.failed)"): \(error)")
                }
                return
            }
            try await Daemon.run(logger: logger) { await agent.run() }
            await agent.close()
        }
    }
}
