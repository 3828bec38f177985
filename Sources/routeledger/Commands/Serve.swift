import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import RouteLedgerAgent
import RouteLedgerCore
import RouteLedgerServer
import RouteLedgerStore

extension RouteLedger {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the HTTP API and the proxy feed (long-polled nginx configs per service cluster).",
            discussion: """
                Read endpoints are open; POST /v1/events needs --token-file (without it the server is \
                read-only and answers 403). A non-loopback --listen needs a token too. Proxies long-poll \
                GET /v1/clusters/CLUSTER/nginx.conf?wait=30s with If-None-Match: "VERSION" ("_" names \
                the default cluster). Events appended by other processes reach them at once on PostgreSQL, \
                where every append notifies every replica serving the same log (LISTEN/NOTIFY), and within \
                --poll on SQLite (or on PostgreSQL while the listener reconnects). GET /healthz says the \
                process is alive, GET /readyz that the database answers and the feed has every event (503 \
                otherwise): use them as a Swarm or Kubernetes health check. --tls-cert and --tls-key serve \
                HTTPS; --read-token-file makes every other read, the feed included, need a bearer token (the \
                read token or the write token). The API is described in docs/openapi.yaml.

                Examples:
                  routeledger serve
                  routeledger serve --listen 127.0.0.1:7420 --token-file /etc/routeledger/token
                  curl -s localhost:7420/v1/routes | jq '.frontends[].host'
                  curl -si -H 'If-None-Match: "VERSION"' 'localhost:7420/v1/clusters/_/nginx.conf?wait=30s'
                  routeledger serve --listen 0.0.0.0:7420 --tls-cert /etc/routeledger/server.pem \\
                      --tls-key /etc/routeledger/server.key --token-file /etc/routeledger/token --read-token-file /etc/routeledger/read-token
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("HOST:PORT to listen on.", valueName: "address"))
        var listen = "127.0.0.1:7420"

        @Option(help: ArgumentHelp("A file holding the bearer token that POST /v1/events requires.", valueName: "path"))
        var tokenFile: String?

        @Option(help: ArgumentHelp("A file holding the bearer token every read but /healthz and /readyz requires (default: reads are open).", valueName: "path"))
        var readTokenFile: String?

        @Option(help: ArgumentHelp("The server's certificate chain (PEM), to serve HTTPS; with --tls-key.", valueName: "path"))
        var tlsCert: String?

        @Option(help: ArgumentHelp("The private key (PEM) of --tls-cert.", valueName: "path"))
        var tlsKey: String?

        @Option(help: ArgumentHelp("The largest request body accepted, in bytes.", valueName: "bytes"))
        var maxBody = 16 << 20

        @Option(help: ArgumentHelp("How often to look for events other processes appended when nothing notifies (SQLite; PostgreSQL while reconnecting).", valueName: "duration"))
        var poll = "100ms"

        func validate() throws {
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen \"\(listen)\" is not HOST:PORT (e.g. 127.0.0.1:7420)") }
            guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
            guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
            guard let interval = DurationText.nanoseconds(poll), interval > 0 else {
                throw ValidationError("--poll \"\(poll)\" is not a positive duration (e.g. 100ms)")
            }
        }

        func run() async throws {
            let address = ListenAddress(listen)!
            let token = try tokenFile.map(Self.readToken)
            let log = try global.openLog(create: token != nil)
            var logger = Logger(label: "routeledger.server")
            logger.logLevel = global.logLevel
            var configuration = ServerConfiguration(host: address.host, port: address.port, token: token, maxBodySize: maxBody,
                                                    pollInterval: DurationText.duration(poll)!)
            configuration.readToken = try readTokenFile.map(Self.readToken)
            if let tlsCert, let tlsKey { configuration.tls = TLSFiles(certificate: tlsCert, key: tlsKey) }
            let app: Application<RouterResponder<BasicRequestContext>>
            let mode = (token == nil ? "read-only" : "writes need the bearer token")
                + (configuration.readToken == nil ? "" : ", reads need a token")
            let scheme = configuration.tls == nil ? "http" : "https"
            do {
                app = try buildApplication(log: log, configuration: configuration, logger: logger) { [path = log.path] port in
                    Terminal.note("serving \(path) on \(scheme)://\(address.host):\(port) (\(mode)); Ctrl-C stops")
                }
            } catch let error as ServerSetupError {
                throw InputError(error.description)
            }
            do {
                try await app.runService()
            } catch let error as IOError {
                throw InputError("cannot listen on \(listen): \(NetworkFailure.plain(error))")
            }
        }

        static func readToken(_ path: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path) else { throw InputError("cannot read the token file \(path)") }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw InputError("the token file \(path) is empty") }
            if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
                Terminal.note("the token file \(path) is readable by other users (chmod 600 it)")
            }
            return token
        }
    }
}

/// `HOST:PORT`; the host may be bracketed (`[::1]:7420`).
struct ListenAddress {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
