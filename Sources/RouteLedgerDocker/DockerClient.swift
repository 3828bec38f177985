import RouteLedgerCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A client of the Docker Engine API for what the ingest needs: `GET /version`, the three listings, and the
/// `/events` stream. HTTP/1.1, one connection per request, every wait bounded.
public struct DockerClient: Sendable {
    /// The daemon's address.
    public let endpoint: DockerEndpoint
    /// The longest a request may take, from connecting to the end of the response (for `/events`: until its
    /// response head).
    public var timeout: Duration
    /// The largest response body accepted (a 5,000-task listing is about 25 MiB).
    public var maximumResponseSize: Int

    /// Creates a client.
    public init(endpoint: DockerEndpoint, timeout: Duration = .seconds(30), maximumResponseSize: Int = 512 << 20) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.maximumResponseSize = maximumResponseSize
    }

    typealias HTTPChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    // MARK: - Requests

    /// `GET /version` (unversioned, as version negotiation needs).
    public func version() async throws -> DockerVersionInfo {
        try MobyJSON.version(try await get("/version"), request: "GET /version")
    }

    /// Asks the daemon for its version (`GET /version`) and picks the API version to speak.
    public func negotiate() async throws -> DockerConnection {
        let daemon = try await version()
        let (api, tested) = try DockerAPIVersion.negotiate(with: daemon)
        return DockerConnection(daemon: daemon, api: api, tested: tested)
    }

    /// Lists networks, then services, then tasks, in the API version `api`.
    ///
    /// The three lists are three requests: an object created or removed between them is seen by one list and
    /// not another; the reconciler is built for that (a task whose service is not listed is left alone).
    public func listing(api: DockerAPIVersion) async throws -> DockerListing {
        var listing = DockerListing()
        let prefix = "/v\(api)"
        listing.networks = try MobyJSON.networks(try await get(prefix + "/networks"), request: "GET \(prefix)/networks")
        listing.services = try MobyJSON.services(try await get(prefix + "/services"), skipped: &listing.skipped,
                                                 request: "GET \(prefix)/services")
        listing.tasks = try MobyJSON.tasks(try await get(prefix + "/tasks"), skipped: &listing.skipped, request: "GET \(prefix)/tasks")
        return listing
    }

    /// The body of a successful `GET uri`.
    /// - Throws: ``DockerError`` when the daemon cannot be reached, answers an error status, is too slow, or
    ///   sends more than ``maximumResponseSize``.
    public func get(_ uri: String) async throws -> [UInt8] {
        let request = "GET " + (uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri)
        let endpoint = self.endpoint
        let limit = maximumResponseSize
        return try await withDeadline(request) {
            let channel = try await connect()
            return try await withTaskCancellationHandler {
                do {
                    return try await channel.executeThenClose { inbound, outbound in
                        await send(head(uri), outbound)
                        var status: HTTPResponseStatus?
                        var body = ByteBuffer()
                        for try await part in inbound {
                            switch part {
                            case .head(let head):
                                status = head.status
                            case .body(var chunk):
                                guard body.readableBytes + chunk.readableBytes <= limit else {
                                    throw DockerError.responseTooLarge(request: request, limit: limit)
                                }
                                body.writeBuffer(&chunk)
                            case .end:
                                let bytes = body.readBytes(length: body.readableBytes) ?? []
                                guard let status, (200..<300).contains(status.code) else {
                                    throw DockerError.status(endpoint: endpoint.description, request: request, code: Int(status?.code ?? 0),
                                                             message: MobyJSON.errorMessage(bytes) ?? "")
                                }
                                return bytes
                            }
                        }
                        throw DockerError.connectionClosed(endpoint: endpoint.description, request: request)
                    }
                } catch let error as DockerError {
                    throw error
                } catch {
                    try Task.checkCancellation()
                    throw DockerError.connectionClosed(endpoint: endpoint.description, request: request)
                }
            } onCancel: {
                channel.channel.close(promise: nil)
            }
        }
    }

    /// Follows `GET /events` (filtered to `types`) until the daemon ends the stream, calling `onOpen` once the
    /// stream is established and `onMessage` for each message. Returns when the stream ends; throws when it
    /// cannot be opened (connection, status, or no response head within ``timeout``). Cancelling the calling
    /// task closes the stream.
    public func watchEvents(api: DockerAPIVersion, types: [String], onOpen: @escaping @Sendable () -> Void,
                            onMessage: @escaping @Sendable (DockerEventMessage) -> Void) async throws {
        let filters = "{\"type\":[" + types.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
        let uri = "/v\(api)/events?filters=" + Self.percentEncoded(filters)
        let request = "GET /v\(api)/events"
        let endpoint = self.endpoint
        let opened = NIOLockedValueBox(false)
        // Not inside `withDeadline`: a channel connected after the deadline's task (or a cancellation) won
        // would be dropped by the task group unclosed (NIOAsyncWriter traps on that in debug builds, and it
        // leaks the connection). The bootstrap's connect timeout bounds the connect; `executeThenClose` below
        // always runs, so the channel is closed whatever happens next.
        let channel = try await connect()
        // The head must come within the timeout; after it, the stream may stay quiet for as long as the cluster does.
        let timeout = self.timeout
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if !opened.withLockedValue({ $0 }) { channel.channel.close(promise: nil) }
        }
        defer { watchdog.cancel() }
        try await withTaskCancellationHandler {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    await send(head(uri), outbound)
                    var failure: HTTPResponseStatus?
                    var pending: [UInt8] = []
                    for try await part in inbound {
                        switch part {
                        case .head(let head):
                            if (200..<300).contains(head.status.code) {
                                opened.withLockedValue { $0 = true }
                                onOpen()
                            } else {
                                failure = head.status
                            }
                        case .body(let chunk):
                            pending += chunk.readableBytesView
                            guard failure == nil else { continue }
                            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                                let line = Array(pending[..<newline])
                                pending.removeSubrange(...newline)
                                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
                                onMessage(try MobyJSON.eventMessage(line, request: request))
                            }
                        case .end:
                            if let failure {
                                throw DockerError.status(endpoint: endpoint.description, request: request, code: Int(failure.code),
                                                         message: MobyJSON.errorMessage(pending) ?? "")
                            }
                            return
                        }
                    }
                }
            } catch let error as DockerError {
                throw error
            } catch {
                try Task.checkCancellation()
                // The daemon went away mid-stream: a normal end of a watch. Before the head: a failure to open it.
                guard opened.withLockedValue({ $0 }) else {
                    throw DockerError.timeout(endpoint: endpoint.description, request: request, seconds: Self.seconds(timeout))
                }
            }
            if !opened.withLockedValue({ $0 }) {
                throw DockerError.connectionClosed(endpoint: endpoint.description, request: request)
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    // MARK: - Connections

    /// Sends a bodiless request in one write. A failed write is not the request's failure: a daemon may answer
    /// and close before the write completes, and whether a response came is what the caller reads next.
    private func send(_ head: HTTPRequestHead, _ outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) async {
        try? await outbound.write(contentsOf: [.head(head), .end(nil)])
    }

    private func head(_ uri: String) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "User-Agent", value: "RouteLedger-ingest")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
    }

    private func connect() async throws -> HTTPChannel {
        let seconds = max(1, Int64(Self.seconds(timeout)))
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(seconds))
        let initializer: @Sendable (any Channel) -> EventLoopFuture<HTTPChannel> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try HTTPChannel(wrappingChannelSynchronously: channel)
            }
        }
        do {
            switch endpoint.address {
            case .unix(let path):
                return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
            case .tcp(let host, let port):
                return try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
            }
        } catch {
            try Task.checkCancellation()
            throw DockerError.unreachable(endpoint: endpoint.description, reason: Self.describe(error))
        }
    }

    /// Runs `body`, failing with ``DockerError/timeout(endpoint:request:seconds:)`` when it takes longer than ``timeout``.
    private func withDeadline<T: Sendable>(_ request: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = self.timeout
        let endpoint = self.endpoint
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw DockerError.timeout(endpoint: endpoint.description, request: request, seconds: Self.seconds(timeout))
            }
            return value
        }
    }

    /// A connection failure in words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return describe(errno: error.errnoCode) }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            return "cannot resolve host \(error.host)"
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connection timed out" }
        if let error = error as? SocketAddressError {
            switch error {
            case .unixDomainSocketPathTooLong: return "the socket path is too long"
            case .unknown(let host, _): return "cannot resolve host \(host)"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }

    private static func describe(errno code: CInt) -> String {
        switch code {
        case ENOENT: "no such socket"
        case ECONNREFUSED: "connection refused"
        case EACCES, EPERM: "permission denied (run as root or as a member of the docker group)"
        case ENOTSOCK: "not a socket"
        case EHOSTUNREACH, ENETUNREACH: "host unreachable"
        case ETIMEDOUT: "connection timed out"
        default: String(cString: strerror(code))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// RFC 3986 percent-encoding of a query value (unreserved characters stay).
    static func percentEncoded(_ text: String) -> String { PercentEncoding.queryValue(text) }
}
