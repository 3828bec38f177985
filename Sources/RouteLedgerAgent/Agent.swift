import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import RouteLedgerCore
import RouteLedgerJSON

/// How an agent runs.
public struct AgentConfiguration: Sendable {
    /// The RouteLedger servers (replicas of one log), e.g. `http://127.0.0.1:7420`: the agent sticks to one
    /// and moves to the next when it fails.
    public var servers: [String]
    public var server: String { servers[0] }
    /// The service cluster (`_` or `""`: the default cluster).
    public var cluster: String
    /// The nginx configuration file the agent owns.
    public var configFile: ConfigFile
    /// How to test and reload nginx.
    public var nginx: NginxControl
    /// The bearer token for appending `proxy.applied` / `proxy.rejected` / `proxy.failed`; without one nothing is recorded.
    public var token: String?
    /// This proxy's id in the reports.
    public var proxyID: String
    /// How long one long-poll waits on the server.
    public var wait: Duration
    /// The port nginx should listen on (`?port=`); nil: the server's default.
    public var listenPort: Int?
    /// The address nginx should listen on (`?address=`); nil: every address.
    public var listenAddress: String?
    /// nginx's access log (`?access_log=`: a path, or `off`); nil: nginx's compiled-in default.
    public var accessLog: String?
    /// TLS settings of the configuration (`?tls_port=`, `?secrets_dir=`, … : ``NginxSettings/tlsParameters``).
    public var tlsParameters: [(name: String, value: String)] = []
    /// The first retry delay when the server is away; it doubles up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// How much longer than `wait` a long-poll may take before the server counts as away (a report may take
    /// 10 s more than this).
    public var requestGrace: Duration
    /// Where the agent writes its metrics (Prometheus text) after each round; nil: nowhere.
    public var metricsFile: String?

    /// Creates a configuration with the documented defaults.
    public init(server: String, cluster: String = "_", configFile: ConfigFile, nginx: NginxControl = NginxControl(), token: String? = nil,
                proxyID: String, wait: Duration = .seconds(30), listenPort: Int? = nil, listenAddress: String? = nil,
                initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(30), requestGrace: Duration = .seconds(5)) {
        self.init(servers: [server], cluster: cluster, configFile: configFile, nginx: nginx, token: token, proxyID: proxyID, wait: wait,
                  listenPort: listenPort, listenAddress: listenAddress, initialBackoff: initialBackoff, maxBackoff: maxBackoff,
                  requestGrace: requestGrace)
    }

    /// Creates a configuration for several servers (replicas of one log), in the order the agent tries them.
    public init(servers: [String], cluster: String = "_", configFile: ConfigFile, nginx: NginxControl = NginxControl(), token: String? = nil,
                proxyID: String, wait: Duration = .seconds(30), listenPort: Int? = nil, listenAddress: String? = nil,
                initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(30), requestGrace: Duration = .seconds(5)) {
        precondition(!servers.isEmpty, "an agent needs a server")
        self.servers = servers.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.cluster = cluster.isEmpty ? "_" : cluster
        self.configFile = configFile
        self.nginx = nginx
        self.token = token
        self.proxyID = proxyID
        self.wait = wait
        self.listenPort = listenPort
        self.listenAddress = listenAddress
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.requestGrace = requestGrace
        self.accessLog = nil
        self.metricsFile = nil
    }

    /// The cluster's name in reports (`""` for the default cluster).
    var reportedCluster: String { ClusterName.parse(cluster) }
}

/// What one round of the agent did.
public enum AgentStep: Sendable, Equatable {
    /// A new version passed `nginx -t`, replaced the file and nginx reloaded.
    case applied(version: String)
    /// nginx refused a version (`nginx -t`); the last good file stays and the version is not fetched again.
    case rejected(version: String, error: String)
    /// The version passed `nginx -t` but the reload failed (nginx not running, say): the last good file is
    /// back, and the version is tried again after a backoff.
    case reloadFailed(version: String, error: String)
    /// Nothing new before the long-poll's timeout.
    case unchanged
    /// The server could not be reached or answered an error; the agent retries after a delay.
    case serverAway(String)
    /// nginx could not check the version (no binary, permissions, a pid or log path): a problem of this
    /// host, not of the configuration, reported as `proxy.failed` (never `proxy.rejected`); the version is
    /// tried again after a delay.
    case nginxUnavailable(version: String, error: String)
}

/// The proxy agent: long-polls its cluster's nginx configuration, writes it atomically, checks it with
/// `nginx -t`, reloads nginx, and records `proxy.applied`, `proxy.rejected` (nginx refused the
/// configuration) or `proxy.failed` (this host could not run it) in the log.
///
/// A version nginx refused is not fetched again (the agent sends it in `If-None-Match` beside the one it
/// runs); a newer version is tried. Reports that cannot be sent wait and go with the next round.
public actor Agent {
    private let configuration: AgentConfiguration
    private let client: HTTPClient
    private let logger: Logger
    /// The version nginx runs (from the file's header when the agent starts).
    public private(set) var running: String?
    /// The newest version nginx refused, kept in `CONF.refused` and sent in `If-None-Match` so it is not
    /// fetched again; nil once a version applies.
    public private(set) var refused: String?
    /// The reload nginx's version came from, when known: a server offering an older reload lags behind.
    public private(set) var runningReload: Int?
    /// The server the agent uses now (an index into the configuration's servers).
    private var current = 0
    /// Rounds in a row that found no server answering.
    private var awayInARow = 0
    private var pendingReports: [String] = []
    private var reportCounter = 0
    /// The version whose host failure was reported last: retries of the same version report it no more.
    private var failureReported: String?
    /// Its rounds so far.
    public private(set) var metrics = AgentMetrics()

    /// The agent's HTTP client: a refused connection fails the round at once (the agent has its own
    /// backoff) instead of being retried until the long-poll's deadline.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The agent's HTTP client for servers whose certificates `caFile` (PEM) signed, or the shared one when
    /// nil; an error names the file and why.
    public static func client(trusting caFile: String?) throws -> HTTPClient {
        guard let caFile else { return client }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw ConfigFileError(description: "cannot read the CA certificates --ca-file \(caFile): \(error)")
        }
        guard !roots.isEmpty else { throw ConfigFileError(description: "--ca-file \(caFile) holds no PEM certificate") }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        configuration.tlsConfiguration = tls
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Creates an agent; the version in the existing file, if any, counts as running, and the version
    /// recorded beside it as refused stays refused (a restart fetches and reports it no more).
    public init(configuration: AgentConfiguration, client: HTTPClient = Agent.client, logger: Logger = Logger(label: "routeledger.agent")) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.running = configuration.configFile.version()
        self.refused = configuration.configFile.refusedVersion()
        self.runningReload = configuration.configFile.appliedReload()
    }

    /// The server the agent uses now; a round that finds it away moves on to the next one.
    public var server: String { configuration.servers[current] }

    /// Shuts its HTTP client down, unless it is the shared one (which lives as long as the process).
    public func close() async {
        guard client !== Self.client else { return }
        try? await client.shutdown()
    }

    /// Rounds until the task is cancelled, backing off while the server is away.
    public func run() async {
        if configuration.token == nil {
            logger.warning("no token: proxy.applied, proxy.rejected and proxy.failed will not be recorded in the log")
        }
        var delay = configuration.initialBackoff
        while !Task.isCancelled {
            let step = await step()
            switch step {
            case .serverAway(let reason):
                // The next server at once; a pause only when every one has failed in a row.
                guard awayInARow % configuration.servers.count == 0 else {
                    logger.warning("server away, trying the next", metadata: ["reason": "\(reason)", "next": "\(server)"])
                    continue
                }
                logger.warning("server away, retrying", metadata: ["reason": "\(reason)", "in": "\(delay)", "next": "\(server)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.maxBackoff)
            case .nginxUnavailable(let version, let error):
                logger.error("nginx could not check the configuration (a problem of this host, not reported as the configuration's); retrying",
                             metadata: ["version": "\(version.prefix(12))", "error": "\(error)", "in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.maxBackoff)
            case .applied(let version):
                logger.info("applied", metadata: ["version": "\(version.prefix(12))"])
                delay = configuration.initialBackoff
            case .rejected(let version, let error):
                logger.error("nginx refused the configuration; keeping the last good one",
                             metadata: ["version": "\(version.prefix(12))", "error": "\(error)"])
                delay = configuration.initialBackoff
            case .reloadFailed(let version, let error):
                logger.error("reloading nginx failed; the last good file is back, retrying",
                             metadata: ["version": "\(version.prefix(12))", "error": "\(error)", "in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.maxBackoff)
            case .unchanged:
                delay = configuration.initialBackoff
            }
        }
    }

    /// One round: send waiting reports, long-poll once, apply what came; then count it in the metrics.
    public func step() async -> AgentStep {
        let result = await round()
        metrics.record(result, at: Date())
        writeMetrics()
        return result
    }

    private func round() async -> AgentStep {
        await flushReports()
        let fetched: Fetched?
        do {
            fetched = try await fetch()
        } catch let error as HTTPStatusError {
            return away("\(server) answered \(error)")
        } catch {
            return away("cannot reach \(server): \(NetworkFailure.plain(error))")
        }
        awayInARow = 0
        guard let fetched else { return .unchanged }
        if let offered = fetched.reload, let mine = runningReload, offered < mine {
            // A replica whose feed lags: never go back to an older configuration than nginx runs.
            return away("\(server) serves reload \(offered), older than reload \(mine) that nginx runs")
        }
        let result = await apply(version: fetched.version, text: fetched.text, reload: fetched.reload)
        switch result {
        case .nginxUnavailable(let version, let error), .reloadFailed(let version, let error):
            // Once per version: the retries that follow would only repeat it.
            if failureReported != version {
                failureReported = version
                queueReport(type: "proxy.failed", version: version, error: error)
            }
        default:
            failureReported = nil
        }
        await flushReports()
        return result
    }

    /// The metrics file, replaced atomically; a failure to write it is logged, never fatal.
    private func writeMetrics() {
        guard let path = configuration.metricsFile else { return }
        let text = metrics.text(running: running, refused: refused, pendingReports: pendingReports.count)
        do {
            // A scraper never sees half a file: written beside it, then renamed over it.
            try ConfigFile.writeDurably(Data(text.utf8), to: path + ".tmp")
            guard rename(path + ".tmp", path) == 0 else {
                throw ConfigFileError(description: "cannot rename \(path).tmp to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            logger.warning("cannot write the metrics file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    // MARK: - Fetch

    struct HTTPStatusError: Error, CustomStringConvertible {
        let description: String
    }

    /// A round without a server: the next one is tried (with several servers), and the round says why.
    private func away(_ reason: String) -> AgentStep {
        awayInARow += 1
        if configuration.servers.count > 1 {
            current = (current + 1) % configuration.servers.count
        }
        return .serverAway(reason)
    }

    /// A configuration a server offered: its version, text and the reload it came from.
    struct Fetched {
        var version: String
        var text: String
        var reload: Int?
    }

    /// The next configuration, or nil when the long-poll ended with nothing new (304).
    func fetch() async throws -> Fetched? {
        var url = "\(server)/v1/clusters/\(configuration.cluster)/nginx.conf?wait=\(configuration.wait.components.seconds)s"
        if let port = configuration.listenPort { url += "&port=\(port)" }
        if let address = configuration.listenAddress { url += "&address=\(address)" }
        let queryValue = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))
        if let accessLog = configuration.accessLog {
            url += "&access_log=\(accessLog.addingPercentEncoding(withAllowedCharacters: queryValue) ?? accessLog)"
        }
        for (name, value) in configuration.tlsParameters {
            url += "&\(name)=\(value.addingPercentEncoding(withAllowedCharacters: queryValue) ?? value)"
        }
        var request = HTTPClientRequest(url: url)
        // A server with --read-token-file takes the write token for reads too.
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let held = [running, refused].compactMap { $0 }.map { "\"\($0)\"" }
        if !held.isEmpty { request.headers.add(name: "If-None-Match", value: held.joined(separator: ", ")) }
        let response = try await client.execute(request, timeout: TimeAmount(configuration.wait + configuration.requestGrace))
        let body = try await response.body.collect(upTo: 64 << 20)
        switch response.status {
        case .notModified:
            return nil
        case .ok:
            guard let tag = response.headers.first(name: "ETag"), tag.count > 2 else {
                throw HTTPStatusError(description: "the server's answer has no ETag")
            }
            return Fetched(version: String(tag.dropFirst().dropLast()), text: String(buffer: body),
                           reload: response.headers.first(name: "X-RouteLedger-Reload").flatMap { Int($0) })
        default:
            throw HTTPStatusError(description: "HTTP \(response.status.code): \(String(buffer: body).prefix(200))")
        }
    }

    // MARK: - Apply

    /// Tests `text` with nginx, puts it in place and reloads; on any failure the last good file stays.
    func apply(version: String, text: String, reload: Int? = nil) async -> AgentStep {
        let file = configuration.configFile
        do {
            try file.writeCandidate(text)
        } catch {
            return reject(version, "\(error)")
        }
        switch await configuration.nginx.test(file.candidatePath) {
        case .accepted:
            break
        case .refused(let error):
            file.discardCandidate()
            return reject(version, "nginx -t: \(error)")
        case .unavailable(let error):
            file.discardCandidate()
            return .nginxUnavailable(version: version, error: "nginx -t: \(error)")
        }
        let previous = file.read()
        do {
            try file.promoteCandidate()
        } catch {
            file.discardCandidate()
            return reject(version, "\(error)")
        }
        if let error = await configuration.nginx.reload(file.path) {
            if let previous { try? file.replace(with: previous) }
            // Not the configuration's fault (nginx -t accepted it): tried again after a backoff, never
            // reported as proxy.rejected.
            return .reloadFailed(version: version, error: "reload: \(error)")
        }
        running = version
        runningReload = reload
        if let reload { file.recordApplied(reload: reload, version: version) }
        refused = nil
        file.recordRefused(nil)
        queueReport(type: "proxy.applied", version: version, error: nil)
        return .applied(version: version)
    }

    private func reject(_ version: String, _ error: String) -> AgentStep {
        refused = version
        configuration.configFile.recordRefused(version)
        queueReport(type: "proxy.rejected", version: version, error: error)
        return .rejected(version: version, error: error)
    }

    // MARK: - Reports

    private func queueReport(type: String, version: String, error: String?) {
        guard configuration.token != nil else { return }
        reportCounter += 1
        let now = Timestamp(nanosecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1e9))
        // An applied report's id is unique (a proxy may apply one version twice, e.g. after a rollback); a
        // refusal's or a host failure's is the proxy's and the version's, so a version refused (or failing)
        // again is a duplicate the log stores once. Each is kept across retries, so a report re-sent after a
        // lost answer is stored once.
        // A host failure's id also carries its error's digest: the log stores each distinct failure of a version
        // once (the same id with other data would be a conflict, and the batch refused).
        let id = type == "proxy.failed"
            ? "\(type):\(configuration.proxyID):\(configuration.cluster):\(version):\(Self.digest(error ?? ""))"
            : type == "proxy.rejected"
            ? "\(type):\(configuration.proxyID):\(configuration.cluster):\(version)"
            : "\(type):\(configuration.proxyID):\(configuration.cluster):\(version.prefix(16)):\(now.nanosecondsSinceEpoch):\(reportCounter)"
        var data: [JSONMember] = [JSONMember("cluster", .string(configuration.reportedCluster)), JSONMember("version", .string(version)),
                                  JSONMember("proxy", .string(configuration.proxyID))]
        if let error { data.append(JSONMember("error", .string(String(error.prefix(4_000))))) }
        let event = JSONValue.object([JSONMember("id", .string(id)), JSONMember("type", .string(type)),
                                      JSONMember("time", .string(now.rfc3339)), JSONMember("data", .object(data))])
        pendingReports.append(event.formatted(pretty: false))
    }

    /// FNV-1a, 64 bits, in hex: tells two error texts apart in a report id. Digits are left out: nginx
    /// stamps each line with the time and its pid, which would make every retry a new failure.
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// Sends the waiting reports in one append; keeps them when the server is away.
    private func flushReports() async {
        guard !pendingReports.isEmpty, let token = configuration.token else { return }
        var request = HTTPClientRequest(url: "\(server)/v1/events")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.body = .bytes(ByteBuffer(string: pendingReports.joined(separator: "\n") + "\n"))
        do {
            let response = try await client.execute(request, timeout: TimeAmount(configuration.requestGrace + .seconds(10)))
            let body = try await response.body.collect(upTo: 1 << 20)
            if (200..<300).contains(response.status.code) {
                pendingReports.removeAll()
            } else if response.status.code < 500 {
                logger.error("the server refused the proxy reports; dropping them",
                             metadata: ["status": "\(response.status.code)", "answer": "\(String(buffer: body).prefix(200))"])
                pendingReports.removeAll()
            }
        } catch {
            logger.warning("could not send proxy reports; they wait for the next round", metadata: ["error": "\(error)"])
        }
    }
}
