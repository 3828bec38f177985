import AsyncHTTPClient
import NIOCore
import NIOPosix
import RouteLedgerCore

/// A client of the Docker Engine API for what the ingest needs: `GET /version`, the three listings, and the
/// `/events` stream, over AsyncHTTPClient (`http+unix://` for a socket), every wait bounded.
public struct DockerClient: Sendable {
    public let endpoint: DockerEndpoint
    /// The longest a request may take, from connecting to the end of the response (for `/events`: until its
    /// response head).
    public var timeout: Duration
    /// The largest response body accepted (a 5,000-task listing is about 25 MiB).
    public var maximumResponseSize: Int

    public init(endpoint: DockerEndpoint, timeout: Duration = .seconds(30), maximumResponseSize: Int = 512 << 20) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.maximumResponseSize = maximumResponseSize
    }

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
        let request = Self.requestLine(uri)
        let (endpoint, limit) = (endpoint, maximumResponseSize)
        // AsyncHTTPClient's deadline ends with the response head; the body is bounded by this race.
        return try await withDeadline(request) {
            let response = try await execute(uri, request: request)
            let body = try await translatingErrors(request) { try await response.body.collect(upTo: limit) }
            let bytes = Array(body.readableBytesView)
            guard (200..<300).contains(response.status.code) else {
                throw DockerError.status(endpoint: endpoint.description, request: request, code: Int(response.status.code),
                                         message: MobyJSON.errorMessage(bytes) ?? "")
            }
            return bytes
        }
    }

    /// Follows `GET /events` (filtered to `types`) until the daemon ends the stream, calling `onOpen` once the
    /// stream is established and `onMessage` for each message. Returns when the stream ends; throws when it
    /// cannot be opened (connection, status, or no response head within ``timeout``). Cancelling the calling
    /// task closes the stream.
    public func watchEvents(api: DockerAPIVersion, types: [String], onOpen: @escaping @Sendable () -> Void,
                            onMessage: @escaping @Sendable (DockerEventMessage) -> Void) async throws {
        let filters = "{\"type\":[" + types.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
        let uri = "/v\(api)/events?filters=" + PercentEncoding.queryValue(filters)
        let request = "GET /v\(api)/events"
        // The head must come within the timeout; after it, the stream may stay quiet for as long as the cluster does.
        let response = try await execute(uri, request: request)
        guard (200..<300).contains(response.status.code) else {
            let body = try await withDeadline(request) {
                try await translatingErrors(request) { try await response.body.collect(upTo: 1 << 20) }
            }
            throw DockerError.status(endpoint: endpoint.description, request: request, code: Int(response.status.code),
                                     message: MobyJSON.errorMessage(Array(body.readableBytesView)) ?? "")
        }
        onOpen()
        var pending: [UInt8] = []
        do {
            for try await chunk in response.body {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
                    onMessage(try MobyJSON.eventMessage(line, request: request))
                }
            }
        } catch let error as DockerError {
            throw error
        } catch {
            // The daemon went away mid-stream: a normal end of a watch, unless the watch was cancelled.
            try Task.checkCancellation()
        }
    }

    // MARK: - Transport

    /// `GET uri` up to the response head, within ``timeout``.
    private func execute(_ uri: String, request: String) async throws -> HTTPClientResponse {
        var http = HTTPClientRequest(url: endpoint.baseURL + uri)
        // AsyncHTTPClient sends no Host over a unix socket, and dockerd answers 400 without one.
        if let host = endpoint.hostHeader { http.headers.add(name: "Host", value: host) }
        http.headers.add(name: "User-Agent", value: "RouteLedger-ingest")
        http.headers.add(name: "Accept", value: "application/json")
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Int64(Self.seconds(timeout) * 1e9))
        return try await translatingErrors(request) { try await Self.http.execute(http, deadline: deadline) }
    }

    /// The process's client for Docker daemons, never shut down (as `HTTPClient.shared`). Unlike the shared
    /// one it does not retry a failed connection until the request's deadline: a daemon that is not there
    /// is an error at once (`--once` says "no such socket" now, not after `--timeout`), and the ingest's
    /// own backoff decides when to try again.
    private static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Runs `body`, turning what AsyncHTTPClient and NIO throw into ``DockerError`` (cancellation stays
    /// cancellation).
    private func translatingErrors<T>(_ request: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DockerError {
            throw error
        } catch is NIOTooManyBytesError {
            throw DockerError.responseTooLarge(request: request, limit: maximumResponseSize)
        } catch let error as HTTPClientError {
            try Task.checkCancellation()
            switch error {
            case .deadlineExceeded, .getConnectionFromPoolTimeout, .readTimeout, .writeTimeout:
                throw DockerError.timeout(endpoint: endpoint.description, request: request, seconds: Self.seconds(timeout))
            case .connectTimeout:
                throw DockerError.unreachable(endpoint: endpoint.description, reason: "connection timed out")
            case .remoteConnectionClosed, .cancelled:
                throw DockerError.connectionClosed(endpoint: endpoint.description, request: request)
            default:
                throw DockerError.unreachable(endpoint: endpoint.description, reason: Self.describe(error))
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

    /// `GET /v1.41/tasks`: a request as errors name it (without its query).
    static func requestLine(_ uri: String) -> String {
        "GET " + (uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri)
    }

    /// A connection failure as a short phrase (`no such socket`, `connection refused`), not NIO's description.
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
}
