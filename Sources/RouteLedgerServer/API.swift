import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore
import ServiceLifecycle

/// The HTTP API: the log's read queries, appends, and the per-cluster nginx configuration that proxies
/// long-poll. It holds the service values (the log, the feed, the metrics), never a database handle of
/// its own; every route is listed in `docs/openapi.yaml`.
public struct API: Sendable {
    public let log: EventLog
    public let feed: ProxyFeed
    public let metrics: ServerMetrics
    public let configuration: ServerConfiguration
    /// Routing answers by position.
    let routesCache = AnswerCache()

    public init(log: EventLog, feed: ProxyFeed, metrics: ServerMetrics, configuration: ServerConfiguration) {
        self.log = log
        self.feed = feed
        self.metrics = metrics
        self.configuration = configuration
    }

    /// Registers every route on `router`.
    public func register(on router: Router<BasicRequestContext>) {
        // Open to orchestrators' health checks, whatever --read-token-file says.
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in await readiness() }
        if let readToken = configuration.readToken {
            router.add(middleware: ReadAuthorization(tokens: [readToken] + (configuration.token.map { [$0] } ?? [])))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("/v1/routes") { request, _ in try await routes(request) }
        router.get("/v1/reloads") { request, _ in try await reloads(request) }
        router.get("/v1/reloads/{id}") { _, context in try await reload(context) }
        router.get("/v1/events") { request, _ in try await events(request) }
        router.post("/v1/events") { request, context in try await append(request, context: context) }
        router.get("/v1/events/{seq}/effect") { _, context in try await effect(context) }
        router.get("/v1/clusters/{cluster}/nginx.conf") { request, context in try await nginx(request, context: context) }
        registerHistory(on: router)
    }

    // MARK: - Reads

    func routes(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["seq", "at", "cluster"])
        let seq = try query.int("seq")
        let at = try query.time("at")
        let cluster = query.cluster("cluster")
        let point = try await offload { [log] in try API.pointsOrBadRequest { try log.point(seq: seq, at: at) } }
        let body = try await routesCache.answer(AnswerCache.Key(seq: point.seq, variant: cluster ?? "*")) {
            try await offload { [log] in
                let projection = try log.projection(through: point)
                var view = projection.view
                if let cluster { view = view.filtered(cluster: cluster) }
                return ByteBuffer(string: view.json(seq: point.seq, logTime: point.logTime, names: NameBook(projection.state)).formatted(pretty: true) + "\n")
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// The most reloads one page holds, and how many without `limit`.
    static let reloadPage = (default: 100, maximum: 1_000)

    func reloads(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["since", "until", "host", "cluster", "version", "limit", "after", "before", "wait"])
        let version = query.string("version")
        if let version, let problem = ReloadFilter.versionPrefixProblem(version) { throw APIError(.badRequest, "version: \(problem)") }
        var filter = ReloadFilter(since: try query.time("since"), until: try query.time("until"), host: query.string("host")?.lowercased(),
                                  cluster: query.cluster("cluster"), versionPrefix: version)
        filter.afterID = try query.int("after").map(Int.init)
        filter.beforeID = try query.int("before").map(Int.init)
        let limit = try query.limit(default: Self.reloadPage.default, maximum: Self.reloadPage.maximum)
        let wait = try query.duration("wait")
        if wait != nil && (filter.afterID == nil || filter.beforeID != nil) {
            throw APIError(.badRequest, "wait needs after (the newest reload the client holds) and no before")
        }
        // A long-poll (`wait`) watches the cluster's configuration: a reload changes its version. The version
        // is taken before the query, so a reload recorded between the two is not missed.
        let watched = filter.cluster ?? ""
        var held = wait == nil ? nil : try await feed.current(cluster: watched).version.hex
        let read = { @Sendable [log, filter] in
            try await offload {
                let page = try log.reloads(filter, limit: limit)
                return (page, try log.names(for: page.reloads))
            }
        }
        var (page, names) = try await read()
        if let wait, wait > .zero {
            let deadline = ContinuousClock.now + min(wait, configuration.maxWait)
            while page.reloads.isEmpty, let version = held, ContinuousClock.now < deadline {
                // A stopping server answers at once, as the feed's long-polls do.
                let next = try await withGracefulShutdownHandler {
                    try await feed.next(cluster: watched, notIn: [version], timeout: deadline - ContinuousClock.now)
                } onGracefulShutdown: { [feed] in
                    Task { await feed.close() }
                }
                guard let next else { break }
                held = next.version.hex
                (page, names) = try await read()
            }
        }
        // RFC 8288 links to the neighbouring pages, with the same filters.
        var links: [String] = []
        let backwards = filter.beforeID != nil && filter.afterID == nil
        if let last = page.reloads.last, backwards || page.more {
            links.append("<\(query.link("/v1/reloads", dropping: ["after", "before"], setting: [("after", String(last.id))]))>; rel=\"next\"")
        }
        if let first = page.reloads.first, !backwards && filter.afterID != nil || backwards && page.more {
            links.append("<\(query.link("/v1/reloads", dropping: ["after", "before"], setting: [("before", String(first.id))]))>; rel=\"prev\"")
        }
        var response = Response.json(.array(page.reloads.map { $0.json(names: names) }))
        if !links.isEmpty { response.headers[.link] = links.joined(separator: ", ") }
        return response
    }

    func reload(_ context: BasicRequestContext) async throws -> Response {
        guard let id = Int(context.parameters.get("id") ?? "") else { throw APIError(.badRequest, "a reload id is a whole number") }
        guard let detail = try await offload({ [log] in try log.reloadDetail(id: id) }) else {
            throw APIError(.notFound, "no reload \(id)")
        }
        return .json(detail.json)
    }

    /// `GET /readyz`: 200 when the database answers and the feed has every event up to its head (after
    /// catching up with what just arrived); 503 saying which it is not. For orchestrators' health checks.
    func readiness() async -> Response {
        func answer(_ status: HTTPResponse.Status, _ text: String) -> Response {
            Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
        let started = ContinuousClock.now
        let head: Seq
        do {
            head = try await offload { [log] in try log.lastSeq() }
        } catch {
            return answer(.serviceUnavailable, "not ready: the database does not answer: \(error)")
        }
        metrics.setDatabaseRoundTrip(ContinuousClock.now - started)
        if await feed.position < head {
            do {
                try await feed.refresh()
            } catch {
                return answer(.serviceUnavailable, "not ready: the proxy feed cannot catch up: \(error)")
            }
        }
        let position = await feed.position
        guard position >= head else { return answer(.serviceUnavailable, "not ready: the proxy feed is at seq \(position) of \(head)") }
        return answer(.ok, "ready: seq \(position)")
    }

    func events(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["after", "limit"])
        let after = try query.int("after") ?? 0
        let limit = try query.limit(default: 1_000, maximum: 10_000)
        guard after >= 0 else { throw APIError(.badRequest, "after must be 0 or more") }
        let list = try await offload { [log] in try log.eventsJSON(after: after, limit: limit) }
        var response = Response.json(.array(list))
        if list.count == limit, let last = list.last?["seq"]?.intValue {
            response.headers[.link] = "<\(query.link("/v1/events", dropping: ["after"], setting: [("after", String(last))]))>; rel=\"next\""
        }
        return response
    }

    func effect(_ context: BasicRequestContext) async throws -> Response {
        guard let seq = Int64(context.parameters.get("seq") ?? "") else { throw APIError(.badRequest, "a seq is a whole number") }
        guard let explanation = try await offload({ [log] in try log.explain(seq: seq) }) else {
            throw APIError(.notFound, "no event at seq \(seq)")
        }
        return .json(explanation.json)
    }

    // MARK: - Append

    func append(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let token = configuration.token else {
            throw APIError(.forbidden, "this server is read-only: start `routeledger serve` with --token-file PATH to accept events")
        }
        guard let given = request.headers[.authorization], given.hasPrefix("Bearer "),
              constantTimeEqual(Array(given.dropFirst("Bearer ".count).utf8), Array(token.utf8)) else {
            throw APIError(.unauthorized, "POST /v1/events needs the header Authorization: Bearer TOKEN (the token in --token-file)",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodySize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "the body is over \(configuration.maxBodySize) bytes; send the events in smaller batches")
        }
        let bytes = Array(buffer: body)
        let started = ContinuousClock.now
        let result: AppendResult
        do {
            result = try await offloadWrite { [log] in try log.append(contentsOf: bytes) }
        } catch let error as StoreError {
            throw APIError(.forAppend(error), error.description)
        }
        metrics.appended(result.appended, in: ContinuousClock.now - started)
        if result.appended > 0 { try await feed.refresh() }
        return .json(.object([
            JSONMember("appended", .number(String(result.appended))),
            JSONMember("duplicates", .number(String(result.duplicates))),
            JSONMember("lastSeq", .number(String(result.lastSeq))),
        ]), status: result.appended > 0 ? .created : .ok)
    }

    // MARK: - The proxy feed

    func nginx(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let name = context.parameters.get("cluster") ?? "_"
        let cluster = ClusterName.parse(name)
        let query = try Query(request, allowed: Set(["wait", "port", "address", "access_log"] + NginxSettings.tlsParameters))
        var settings = configuration.nginx
        if let accessLog = query.string("access_log") {
            guard NginxSettings.isAccessLog(accessLog) else { throw APIError(.badRequest, "access_log must be off or an absolute path of plain characters") }
            settings.accessLog = accessLog
        }
        if let port = try query.int("port") {
            guard (1...65535).contains(port) else { throw APIError(.badRequest, "port must be from 1 to 65535") }
            settings.listenPort = Int(port)
        }
        if let address = query.string("address") {
            guard NginxSettings.isListenAddress(address) else { throw APIError(.badRequest, "address=\(address) is not an IPv4 or IPv6 address") }
            settings.listenAddress = address
        }
        for name in NginxSettings.tlsParameters {
            guard let value = query.string(name) else { continue }
            if let problem = settings.set(name, to: value) { throw APIError(.badRequest, "\(name): \(problem)") }
        }
        let wait = try query.duration("wait")
        var config = try await feed.current(cluster: cluster)
        let held = ETag.versions(request.headers[.ifNoneMatch])
        if held.contains(config.version.hex) || held.contains("*") {
            guard let wait, wait > .zero, !held.contains("*") else {
                return Response(status: .notModified, headers: Self.headers(config))
            }
            // A stopping server answers its long-polls at once (304, the version they hold) instead of holding
            // the shutdown for their wait.
            let next = try await withGracefulShutdownHandler {
                try await feed.next(cluster: cluster, notIn: Set(held), timeout: min(wait, configuration.maxWait))
            } onGracefulShutdown: { [feed] in
                Task { await feed.close() }
            }
            guard let next else {
                return Response(status: .notModified, headers: Self.headers(config))
            }
            config = next
        }
        var headers = Self.headers(config)
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: config.nginx(settings))))
    }

    static func headers(_ config: ServedConfig) -> HTTPFields {
        var headers: HTTPFields = [.eTag: ETag.quoted(config.version.hex), .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-RouteLedger-Seq")!] = String(config.seq)
        if let id = config.reloadID { headers[HTTPField.Name("X-RouteLedger-Reload")!] = String(id) }
        return headers
    }
}

// MARK: - Helpers

/// Runs blocking SQLite work off the cooperative thread pool, on NIO's blocking-I/O threads. (On Linux,
/// `DispatchQueue.global()` shares its threads with that pool, so it is no way out.)
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}

/// Threads of their own for the work that must not queue behind reads: appends (one writer at a time
/// anyway), and the history page's reads of whole ranges, which would otherwise hold the shared pool's
/// threads (as many as cores) while quick API reads wait.
enum DedicatedPools {
    static let writes: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    static let history: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
}

/// `body` on the appends' own thread.
func offloadWrite<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await DedicatedPools.writes.runIfActive(body)
}

/// `body` on the history page's own thread.
func offloadHistory<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await DedicatedPools.history.runIfActive(body)
}

/// Compares without leaking where the first difference is.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}

/// `ETag` values: a config version in quotes.
enum ETag {
    static func quoted(_ version: String) -> String { "\"\(version)\"" }

    /// The versions an `If-None-Match` header holds: `"v1", W/"v2"` gives [v1, v2]; `*` stays `*`.
    static func versions(_ header: String?) -> [String] {
        guard let header else { return [] }
        return header.split(separator: ",").map { part in
            var value = part.trimmingSpaces
            if value.hasPrefix("W/") { value = String(value.dropFirst(2)) }
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value
        }
    }
}

/// Query parameters, each checked with an error naming it.
struct Query {
    let request: Request

    /// The parameters of `request`, which may only be those `allowed`: any other is a 400 naming it (a
    /// misspelt filter must not pass for no filter).
    init(_ request: Request, allowed: Set<String>) throws {
        self.request = request
        for (name, _) in request.uri.queryParameters where !allowed.contains(String(name)) {
            let known = allowed.sorted().joined(separator: ", ")
            throw APIError(.badRequest, "unknown query parameter \(name)" + (known.isEmpty ? "; this endpoint takes none" : "; this endpoint takes \(known)"))
        }
    }

    /// `path?query` for another page: the request's parameters without `drop`, then `set`.
    func link(_ path: String, dropping drop: Set<String>, setting set: [(String, String)]) -> String {
        var parts: [String] = []
        for (name, value) in request.uri.queryParameters where !drop.contains(String(name)) {
            parts.append("\(name)=\(Self.escaped(String(value)))")
        }
        for (name, value) in set { parts.append("\(name)=\(Self.escaped(value))") }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }

    /// A value in a link: `:` and `/` stay readable (`after=_/shop.local`).
    private static func escaped(_ value: String) -> String { PercentEncoding.queryValue(value, keeping: ":/") }

    /// `limit`: `fallback` when absent, else a whole number from 1 to `maximum`.
    func limit(default fallback: Int, maximum: Int) throws -> Int {
        guard let value = try int("limit") else { return fallback }
        guard (1...Int64(maximum)).contains(value) else { throw APIError(.badRequest, "limit must be from 1 to \(maximum)") }
        return Int(value)
    }

    func string(_ name: String) -> String? {
        request.uri.queryParameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ name: String) throws -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text) else { throw APIError(.badRequest, "\(name)=\(text) is not a whole number") }
        return value
    }

    func time(_ name: String) throws -> Timestamp? {
        guard let text = string(name) else { return nil }
        guard let value = Timestamp(rfc3339: text) else {
            throw APIError(.badRequest, "\(name)=\(text) is not an RFC 3339 time (e.g. 2026-11-27T10:00:03Z)")
        }
        return value
    }

    func duration(_ name: String) throws -> Duration? {
        guard let text = string(name) else { return nil }
        guard let value = DurationText.duration(text) else { throw APIError(.badRequest, "\(name)=\(text) is not a duration (e.g. 30s)") }
        return value
    }

    /// A cluster filter: absent means all; `_` names the default cluster (as does an empty value given
    /// explicitly, `cluster=`).
    func cluster(_ name: String) -> String? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        return ClusterName.parse(text)
    }
}

extension HTTPField.Name {
    /// RFC 8288 `Link`: where the next and previous pages of a list are.
    static let link = HTTPField.Name("Link")!
}

extension Substring {
    var trimmingSpaces: String {
        var slice = self
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

/// An error answered as `{"error": "…"}` with its status.
/// Every read (GET) needs `Authorization: Bearer TOKEN` with the read token or the write token; writes
/// check their own token. Tokens are compared in constant time and never logged.
struct ReadAuthorization<Context: RequestContext>: RouterMiddleware {
    let tokens: [[UInt8]]

    init(tokens: [String]) { self.tokens = tokens.map { Array($0.utf8) } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get else { return try await next(request, context) }
        if let given = request.headers[.authorization], given.hasPrefix("Bearer ") {
            let presented = Array(given.dropFirst("Bearer ".count).utf8)
            // Every token is compared, so the time taken does not say which one nearly matched.
            let matches = tokens.reduce(false) { found, token in constantTimeEqual(presented, token) || found }
            if matches { return try await next(request, context) }
        }
        throw APIError(.unauthorized, "reads on this server need the header Authorization: Bearer TOKEN (the token in --read-token-file, or the write token)",
                       headers: [.wwwAuthenticate: "Bearer"])
    }
}

struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = JSONValue.object([JSONMember("error", .string(message))]).formatted(pretty: false) + "\n"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPResponse.Status {
    /// Bad input 400, a conflicting id 409, a locked database 503, other store failures 500.
    static func forAppend(_ error: StoreError) -> Self {
        switch error {
        case .syntax, .invalidEvent: .badRequest
        case .conflict: .conflict
        case .busy: .serviceUnavailable
        default: .internalServerError
        }
    }
}

extension Response {
    /// A JSON response, pretty-printed as the CLI prints it.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: value.formatted(pretty: true) + "\n")))
    }
}
