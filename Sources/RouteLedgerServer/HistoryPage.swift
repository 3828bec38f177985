import HTTPTypes
import Hummingbird
import NIOCore
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore
import RouteLedgerWeb

/// The timeline page at `/` and the JSON it is made of (`/v1/hosts`, `/v1/timeline`): see
/// ``TimelineDocument``. Each answer reads only the range it shows.
extension API {
    func registerHistory(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try await page(request) }
        router.get("/v1/hosts") { request, _ in try await hosts(request) }
        router.get("/v1/timeline") { request, _ in try await timeline(request) }
    }

    func page(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["cluster", "host", "from", "to", "at"])
        let cluster = query.cluster("cluster") ?? ""
        let host = query.string("host")?.lowercased()
        let (from, to, at) = (query.string("from"), query.string("to"), query.string("at"))
        let html = try await offloadHistory { [log] in
            let reader = HistoryReader(log: log)
            let (hosts, clusters) = try reader.hosts()
            let lastSeq = try log.lastSeq()
            guard let host else {
                return TimelineDocument(mode: .page(live: false), timelines: [], stories: [:], hosts: hosts, clusters: clusters, lastSeq: lastSeq).render()
            }
            let range = try Self.pointsOrBadRequest {
                try reader.range(host: host, cluster: cluster, from: reader.point(from, name: "from"), to: reader.point(to, name: "to"))
            }
            let (timeline, stories) = try reader.timeline(host: host, cluster: cluster, from: range.from, to: range.to)
            let moment = try Self.pointsOrBadRequest { try reader.point(at, name: "at") }.map { try reader.moment(host: host, cluster: cluster, at: $0) }
            return TimelineDocument(mode: .page(live: to == nil), timelines: [timeline], stories: stories,
                                    hosts: hosts.filter { $0.cluster == cluster }, clusters: clusters, moment: moment, lastSeq: lastSeq,
                                    lastReload: try reader.lastReload(host: host, cluster: cluster)).render()
        }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `GET /v1/hosts`: every routed host now, with its cluster and upstream count, by cluster and host, a page
    /// at a time (`limit`, default 1,000; `after=CLUSTER/HOST` continues after that host, `_` naming the
    /// default cluster).
    func hosts(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["cluster", "limit", "after"])
        let cluster = query.cluster("cluster")
        let limit = try query.limit(default: 1_000, maximum: 10_000)
        var cursor: (cluster: String, host: String)?
        if let after = query.string("after") {
            guard let slash = after.firstIndex(of: "/") else { throw APIError(.badRequest, "after=\(after) is not CLUSTER/HOST (e.g. _/shop.local)") }
            cursor = (ClusterName.parse(String(after[..<slash])), after[after.index(after: slash)...].lowercased())
        }
        let hosts = try await offloadHistory { [log] in try HistoryReader(log: log).hosts().hosts }
        let matching = hosts.filter { entry in
            (cluster == nil || entry.cluster == cluster) && (cursor.map { (entry.cluster, entry.host) > ($0.cluster, $0.host) } ?? true)
        }
        let page = Array(matching.prefix(limit))
        var response = Response.json(.array(page.map { entry in
            .object([JSONMember("host", .string(entry.host)), JSONMember("cluster", .string(entry.cluster)),
                     JSONMember("upstreams", .number(String(entry.upstreams)))])
        }))
        if matching.count > limit, let last = page.last {
            let link = query.link("/v1/hosts", dropping: ["after"], setting: [("after", ClusterName.display(last.cluster) + "/" + last.host)])
            response.headers[.link] = "<\(link)>; rel=\"next\""
        }
        return response
    }

    /// `GET /v1/timeline?host=H`: the host's lanes and reload markers over a range (default: its last 50
    /// reloads up to now).
    func timeline(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["cluster", "host", "from", "to"])
        guard let host = query.string("host")?.lowercased() else { throw APIError(.badRequest, "host is required, e.g. host=shop.local") }
        let cluster = query.cluster("cluster") ?? ""
        let (from, to) = (query.string("from"), query.string("to"))
        let timeline = try await offloadHistory { [log] in
            let reader = HistoryReader(log: log)
            let range = try Self.pointsOrBadRequest {
                try reader.range(host: host, cluster: cluster, from: reader.point(from, name: "from"), to: reader.point(to, name: "to"))
            }
            return try log.hostTimeline(host: host, cluster: cluster, from: range.from, to: range.to)
        }
        return .json(timeline.json)
    }

    /// Runs `body`, turning a position outside the log into a 400 that says so.
    static func pointsOrBadRequest<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PointError {
            throw APIError(.badRequest, error.description)
        }
    }
}
