import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import RouteLedgerCore
import RouteLedgerStore
import ServiceLifecycle

/// How `routeledger serve` runs.
public struct ServerConfiguration: Sendable {
    /// The address to listen on; loopback unless a token protects writes.
    public var host: String
    /// The port (0: any free port).
    public var port: Int
    /// The bearer token that `POST /v1/events` requires; nil makes the server read-only.
    public var token: String?
    /// The bearer token every read endpoint (the feed included) requires, besides `/healthz` and `/readyz`;
    /// the write token is accepted too. nil: reads are open.
    public var readToken: String?
    /// The certificate chain and private key (PEM files) to serve HTTPS with; nil: plain HTTP.
    public var tls: TLSFiles?
    /// The largest request body accepted, in bytes.
    public var maxBodySize: Int
    /// How often the feed looks for events appended by other processes.
    public var pollInterval: Duration
    /// The longest `?wait=` a long-poll may ask for.
    public var maxWait: Duration
    /// The nginx settings configs are rendered with (`?port=` overrides the listen port).
    public var nginx: NginxSettings

    /// Creates a configuration with the documented defaults.
    public init(host: String = "127.0.0.1", port: Int = 7420, token: String? = nil, maxBodySize: Int = 16 << 20,
                pollInterval: Duration = .milliseconds(100), maxWait: Duration = .seconds(300), nginx: NginxSettings = NginxSettings()) {
        self.host = host
        self.port = port
        self.token = token
        self.maxBodySize = maxBodySize
        self.pollInterval = pollInterval
        self.maxWait = maxWait
        self.nginx = nginx
        self.readToken = nil
        self.tls = nil
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// The PEM files a server serves HTTPS with.
public struct TLSFiles: Sendable {
    /// The certificate chain (the server's certificate first).
    public var certificate: String
    /// The private key's file (`--tls-key`), for the chain's first certificate.
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    /// The server's TLS configuration, read from the files; an error names the file and why.
    func configuration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw ServerSetupError(description: "cannot read the certificate --tls-cert \(certificate): \(error)")
        }
        guard !chain.isEmpty else { throw ServerSetupError(description: "--tls-cert \(certificate) holds no PEM certificate") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ServerSetupError(description: "cannot read the private key --tls-key \(key): \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}

/// Why the server cannot start.
public struct ServerSetupError: Error, CustomStringConvertible {
    public let description: String
}

/// The application `serve` runs and the tests drive: the API's routes, and the feed's poller as a service.
///
/// `onServerRunning` is called with the port once the server listens (the one asked for, or the one the system
/// chose for port 0).
public func buildApplication(log: EventLog, configuration: ServerConfiguration,
                             logger: Logger = Logger(label: "routeledger.server"),
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> Application<RouterResponder<BasicRequestContext>> {
    if !configuration.isLoopback && configuration.token == nil {
        throw ServerSetupError(description: "refusing to listen on \(configuration.host) without a token: give --token-file PATH, or listen on 127.0.0.1")
    }
    let metrics = ServerMetrics()
    let feed = try ProxyFeed(log: log, metrics: metrics, logger: logger)
    let router = Router()
    API(log: log, feed: feed, metrics: metrics, configuration: configuration).register(on: router)
    let tls = try configuration.tls?.configuration()
    return Application(router: router,
                       server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
                       configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "routeledger"),
                       services: [FeedPoller(feed: feed, interval: configuration.pollInterval, listener: log.listenForAppends(),
                                             metrics: metrics, logger: logger)],
                       onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
                       logger: logger)
}

/// Brings the feed up to the events other processes append, so they reach waiting proxies: woken by the
/// log's append listener (PostgreSQL's LISTEN/NOTIFY: an append through another replica, or the CLI, wakes
/// this one at its commit), and polling every interval while there is no listener (SQLite) or it is not
/// listening (reconnecting).
struct FeedPoller: Service {
    let feed: ProxyFeed
    let interval: Duration
    let listener: AppendListener?
    let metrics: ServerMetrics
    let logger: Logger

    /// Runs until the server stops; then closes the feed (its long-polls answer at once). Stopping is not
    /// an error: it returns normally, so `serve` exits 0.
    func run() async throws {
        if let listener { metrics.watch(listener) }
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let listener {
                        group.addTask {
                            for await _ in listener.signals { await refresh() }
                        }
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: interval)
                            if listener?.isListening != true { await refresh() }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
        }
        listener?.stop()
        await feed.close()
    }

    private func refresh() async {
        do {
            try await feed.refresh()
        } catch {
            logger.error("refreshing the proxy feed failed", metadata: ["error": "\(error)"])
        }
    }
}
