import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RouteLedgerCore
import RouteLedgerServer
import RouteLedgerStore
import Testing
import TestSupport

/// A database loaded with the seed scenarios, and the server's application over it.
struct ServerFixture {
    let directory: TemporaryDirectory
    let log: EventLog

    static let token = "test-token-7f3a"

    init(scenarios: [String] = ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl", "04-canary-vip.jsonl"]) throws {
        directory = try TemporaryDirectory("routeledger-server")
        log = try EventLog(path: directory.path("server.db"))
        for name in scenarios {
            let bytes = try Data(contentsOf: Executables.repository.appendingPathComponent("data/" + name))
            _ = try log.append(contentsOf: Array(bytes))
        }
    }

    func app(token: String? = Self.token, maxBodySize: Int = 1 << 20, pollInterval: Duration = .milliseconds(50)) throws
        -> Application<RouterResponder<BasicRequestContext>> {
        try buildApplication(log: log, configuration: ServerConfiguration(token: token, maxBodySize: maxBodySize, pollInterval: pollInterval))
    }

    func remove() { directory.remove() }
}

/// Two demo events: a new vip service on shop.local's neighbour host, and its task; each changes the view.
func newHostEvents(_ tag: String) -> String {
    """
    {"id":"\(tag)-svc","type":"service.created","time":"2026-11-27T11:00:00Z","data":{"service":{"id":"s-\(tag)","name":"\(tag)","labels":{"com.docker.lb.hosts":"\(tag).local","com.docker.lb.port":"80"},"networks":["n-demo"],"vips":[]}}}
    {"id":"\(tag)-t1","type":"task.updated","time":"2026-11-27T11:00:01Z","data":{"task":{"id":"\(tag)-t1","serviceId":"s-\(tag)","state":"running","desiredState":"running","addresses":[{"networkId":"n-demo","addr":"10.0.9.1/24"}]}}}
    {"id":"\(tag)-t2","type":"task.updated","time":"2026-11-27T11:00:02Z","data":{"task":{"id":"\(tag)-t2","serviceId":"s-\(tag)","state":"running","desiredState":"running","addresses":[{"networkId":"n-demo","addr":"10.0.9.2/24"}]}}}

    """
}

func body(_ response: TestResponse) -> String { String(buffer: response.body) }

/// Waits until the server's metrics count `count` long-polls in progress (a request sent with `async let`
/// has reached the feed).
func waitForWatchers(_ count: Int, _ client: some TestClientProtocol) async throws -> Bool {
    try await Patience.wait {
        body(try await client.execute(uri: "/metrics", method: .get)).contains("routeledger_watchers \(Double(count))\n")
    }
}

func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
}

let authorized: HTTPFields = [.authorization: "Bearer \(ServerFixture.token)"]

@Suite("HTTP API")
struct ServerTests {
    @Test("nginx.conf carries its version as ETag; If-None-Match with it gives 304, with another 200")
    func etag() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let newest = try #require(try fixture.log.reloads(ReloadFilter(cluster: "")).last)
        try await fixture.app().test(.router) { client in
            let first = try await client.execute(uri: "/v1/clusters/_/nginx.conf", method: .get)
            #expect(first.status == .ok)
            #expect(first.headers[.eTag] == "\"\(newest.version)\"")
            #expect(first.headers[HTTPField.Name("X-RouteLedger-Reload")!] == String(newest.id))
            #expect(body(first).contains("# config version: \(newest.version)\n"))
            #expect(body(first).contains("server_name shop.local;"))
            let same = try await client.execute(uri: "/v1/clusters/_/nginx.conf", method: .get, headers: [.ifNoneMatch: "\"\(newest.version)\""])
            #expect(same.status == .notModified)
            #expect(same.body.readableBytes == 0)
            let other = try await client.execute(uri: "/v1/clusters/_/nginx.conf", method: .get, headers: [.ifNoneMatch: "\"0000\""])
            #expect(other.status == .ok)
            let port = try await client.execute(uri: "/v1/clusters/_/nginx.conf?port=8081", method: .get)
            #expect(body(port).contains("listen 8081 default_server;"))
            #expect(port.headers[.eTag] == first.headers[.eTag])
            // The TLS settings the agent sends: a valid one is taken, a bad one is a 400 naming the parameter.
            let tls = try await client.execute(uri: "/v1/clusters/_/nginx.conf?tls_port=8443&secrets_dir=/srv/secrets&stream_module=none", method: .get)
            #expect(tls.status == .ok)
            let bad = try await client.execute(uri: "/v1/clusters/_/nginx.conf?secrets_dir=relative", method: .get)
            #expect(bad.status == .badRequest)
            #expect(body(bad).contains(#"secrets_dir: \"relative\" is not an absolute path"#), "\(body(bad))")
        }
    }

    @Test("reloads long-poll: after=LAST&wait answers when a reload of the filter is recorded, or empty at its timeout")
    func reloadsLongPoll() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let last = try #require(try fixture.log.reloads().last).id
        try await fixture.app().test(.router) { client in
            // Nothing new: an empty page once the wait is over.
            let started = ContinuousClock.now
            let quiet = try await client.execute(uri: "/v1/reloads?after=\(last)&wait=300ms", method: .get)
            #expect(body(quiet) == "[]\n" && ContinuousClock.now - started >= .milliseconds(300))
            // A wait far longer than the test's patience: an answer within it is the append's doing.
            async let waited = client.execute(uri: "/v1/reloads?after=\(last)&host=late.local&cluster=_&wait=3600s", method: .get)
            #expect(try await waitForWatchers(1, client))
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: newHostEvents("late")))
            #expect(posted.status == .created)
            let woke = ContinuousClock.now
            let response = try await waited
            #expect(ContinuousClock.now - woke < Patience.duration)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
            #expect(!list.isEmpty && list.allSatisfy { ($0["id"] as? Int ?? 0) > last }, "\(list)")
            #expect(try await client.execute(uri: "/v1/reloads?wait=1s", method: .get).status == .badRequest)
        }
    }

    @Test("a long-poll wakes when an append changes its cluster, and gets the newest version, not an intermediate one")
    func longPollWakesOnAppend() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let before = try #require(try fixture.log.reloads().last).version
        try await fixture.app().test(.router) { client in
            // A wait far longer than the test's patience: an answer within it is the append's doing.
            async let waited = client.execute(uri: "/v1/clusters/_/nginx.conf?wait=3600s", method: .get, headers: [.ifNoneMatch: "\"\(before)\""])
            #expect(try await waitForWatchers(1, client))
            // One POST, three events, two reloads (the second task is a second version): the waiter gets the last.
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: newHostEvents("late")))
            #expect(posted.status == .created)
            let started = ContinuousClock.now
            let response = try await waited
            #expect(ContinuousClock.now - started < Patience.duration)
            #expect(response.status == .ok)
            let newest = try #require(try fixture.log.reloads().last)
            #expect(newest.causes == [try fixture.log.lastSeq()])
            #expect(response.headers[.eTag] == "\"\(newest.version)\"")
            #expect(body(response).contains("server 10.0.9.2:80;"))
        }
    }

    @Test("with a settle window, proxies get a change only when its reload is recorded: the feed serves the reload audit")
    func settleWindow() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.log.setReloadSettings(ReloadSettings(settle: 2_000_000_000))
        // An event long after the demo closes its last settle window.
        let quiet = #"{"id":"settle-q","type":"network.created","time":"2026-11-27T11:00:00Z","data":{"network":{"id":"n-quiet","name":"quiet"}}}"#
        _ = try fixture.log.append(contentsOf: Array((quiet + "\n").utf8))
        let settled = try #require(try fixture.log.reloads().last)
        try await fixture.app().test(.router) { client in
            let task = #"{"id":"settle-t","type":"task.updated","time":"2026-11-27T11:00:10Z","data":{"task":{"id":"shop9","serviceId":"svc-shop","state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.29/24"}]}}}"#
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: task + "\n"))
            let pending = try await client.execute(uri: "/v1/clusters/_/nginx.conf", method: .get)
            #expect(pending.headers[.eTag] == "\"\(settled.version)\"", "the change waits for its settle window")
            #expect(!body(pending).contains("10.0.2.29:8080"))
            // An event 5 s later (log time) closes the window: the reload is recorded and served.
            let later = #"{"id":"settle-n","type":"network.created","time":"2026-11-27T11:00:15Z","data":{"network":{"id":"n-late","name":"late"}}}"#
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: later + "\n"))
            let reload = try #require(try fixture.log.reloads().last)
            #expect(reload.id == settled.id + 1)
            let served = try await client.execute(uri: "/v1/clusters/_/nginx.conf", method: .get)
            #expect(served.headers[.eTag] == "\"\(reload.version)\"")
            #expect(body(served).contains("server 10.0.2.29:8080;"))
        }
    }

    @Test("a long-poll with nothing new answers 304 at its timeout")
    func longPollTimesOut() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let version = try #require(try fixture.log.reloads().last).version
        try await fixture.app().test(.router) { client in
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/v1/clusters/_/nginx.conf?wait=300ms", method: .get, headers: [.ifNoneMatch: "\"\(version)\""])
            let waited = ContinuousClock.now - started
            #expect(response.status == .notModified)
            #expect(waited >= .milliseconds(300) && waited < Patience.duration)
        }
    }

    @Test("events another process appends reach a waiting proxy through the poller")
    func longPollSeesOtherWriters() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let before = try #require(try fixture.log.reloads().last).version
        try await fixture.app().test(.router) { client in
            async let waited = client.execute(uri: "/v1/clusters/_/nginx.conf?wait=3600s", method: .get, headers: [.ifNoneMatch: "\"\(before)\""])
            #expect(try await waitForWatchers(1, client))
            let other = try EventLog(path: fixture.directory.path("server.db"))
            _ = try other.append(contentsOf: Array(newHostEvents("outside").utf8))
            let response = try await waited
            #expect(response.status == .ok)
            #expect(body(response).contains("server_name outside.local;"))
        }
    }

    @Test("writes: 403 on a read-only server, 401 without or with a wrong token")
    func authorization() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let events = ByteBuffer(string: newHostEvents("x"))
        try await fixture.app(token: nil).test(.router) { client in
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: events)
            #expect(response.status == .forbidden)
            #expect(try jsonObject(response)["error"] as? String == "this server is read-only: start `routeledger serve` with --token-file PATH to accept events")
        }
        try await fixture.app().test(.router) { client in
            let none = try await client.execute(uri: "/v1/events", method: .post, body: events)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await client.execute(uri: "/v1/events", method: .post, headers: [.authorization: "Bearer nope"], body: events)
            #expect(wrong.status == .unauthorized)
        }
        #expect(try fixture.log.lastSeq() == 29)
    }

    @Test("a malformed body is 400 naming the line and reason, and stores nothing; an oversized one is 413")
    func badBodies() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.app(maxBodySize: 2_000).test(.router) { client in
            let lines = newHostEvents("y").split(separator: "\n")
            let broken = lines[0] + "\n" + lines[1].replacingOccurrences(of: "\"state\":\"running\",", with: "") + "\n"
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: broken))
            #expect(response.status == .badRequest)
            let message = try #require(try jsonObject(response)["error"] as? String)
            #expect(message.contains("line 2"))
            #expect(message.contains("state"))
            let huge = String(repeating: newHostEvents("z"), count: 4)
            let tooLarge = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: huge))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try jsonObject(tooLarge)["error"] as? String == "the body is over 2000 bytes; send the events in smaller batches")
        }
        #expect(try fixture.log.lastSeq() == 29)
    }

    @Test("a repeated POST appends nothing the second time (200, duplicates counted)")
    func idempotentPost() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            let events = ByteBuffer(string: newHostEvents("again"))
            let first = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: events)
            #expect(first.status == .created)
            #expect(try jsonObject(first)["appended"] as? Int == 3)
            let second = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: events)
            #expect(second.status == .ok)
            #expect(try jsonObject(second)["duplicates"] as? Int == 3)
            #expect(try jsonObject(second)["lastSeq"] as? Int == 32)
            // A JSON array is accepted as well as JSON Lines.
            let array = "[" + newHostEvents("array").split(separator: "\n").joined(separator: ",") + "]"
            let third = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: array))
            #expect(third.status == .created)
            #expect(try jsonObject(third)["lastSeq"] as? Int == 35)
        }
    }

    @Test("GET /v1/routes is the same JSON as `routeledger routes --json`, now and at a point")
    func routesMatchCLI() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let database = fixture.directory.path("server.db")
        @Sendable func cli(_ arguments: [String]) async throws -> NSDictionary {
            let result = try await Command.run(Executables.url("routeledger").path, arguments + ["--db", database])
            #expect(result.status == 0)
            return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? NSDictionary)
        }
        try await fixture.app().test(.router) { client in
            for (query, arguments) in [("", [String]()), ("?seq=12", ["--seq", "12"]), ("?at=2026-11-27T10:00:05Z&cluster=_", ["--at", "2026-11-27T10:00:05Z", "--cluster", ""])] {
                let response = try await client.execute(uri: "/v1/routes" + query, method: .get)
                #expect(response.status == .ok)
                let served = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? NSDictionary)
                let printed = try await cli(["routes", "--json"] + arguments)
                #expect(served == printed, "query \(query)")
            }
            let bad = try await client.execute(uri: "/v1/routes?seq=abc", method: .get)
            #expect(bad.status == .badRequest)
            #expect(try jsonObject(bad)["error"] as? String == "seq=abc is not a whole number")
        }
    }

    @Test("reloads, a reload, events and an event's effect: the documented shapes; unknown ids are 404")
    func readEndpoints() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            let reloads = try await client.execute(uri: "/v1/reloads?host=shop.local", method: .get)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: reloads.body)) as? [[String: Any]])
            #expect(list.count == 5)
            let why = try await client.execute(uri: "/v1/reloads/\(list[0]["id"] as! Int)", method: .get)
            #expect((try jsonObject(why)["causeEvents"] as? [Any])?.count == (list[0]["causes"] as? [Any])?.count)
            #expect(try await client.execute(uri: "/v1/reloads/999", method: .get).status == .notFound)
            let events = try await client.execute(uri: "/v1/events?after=10&limit=2", method: .get)
            let page = try #require(try JSONSerialization.jsonObject(with: Data(buffer: events.body)) as? [[String: Any]])
            #expect(page.map { $0["seq"] as! Int } == [11, 12])
            #expect(page[1]["names"] as? [String: String] == ["demo5": "demo.5", "svc-demo": "demo", "jed11c1x685a1r8acirk2ylol": "demo"],
                    "ids kept, names added: \(page[1])")
            let version = String((list[0]["version"] as! String).prefix(8))
            let byVersion = try await client.execute(uri: "/v1/reloads?version=\(version)", method: .get)
            let found = try #require(try JSONSerialization.jsonObject(with: Data(buffer: byVersion.body)) as? [[String: Any]])
            #expect(found.map { $0["id"] as! Int } == [list[0]["id"] as! Int])
            #expect(try await client.execute(uri: "/v1/reloads?version=xyz", method: .get).status == .badRequest)
            let effect = try jsonObject(try await client.execute(uri: "/v1/events/11/effect", method: .get))
            #expect(effect["effect"] as? String == "absorbed")
            #expect(effect["reason"] as? String == "demo is in vip mode: replicas 4→6 leave upstream 10.0.2.9:8080 unchanged")
            #expect(try await client.execute(uri: "/v1/events/999/effect", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/events?limit=0", method: .get).status == .badRequest)
            #expect(body(try await client.execute(uri: "/healthz", method: .get)) == "ok\n")
        }
    }

    @Test("lists page: limit with a default and a maximum, after/before cursors, Link headers that keep the filters; an unknown parameter is a 400 naming it")
    func paging() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let all = try fixture.log.reloads().map(\.id)
        #expect(all.count >= 8)
        try await fixture.app().test(.router) { client in
            func ids(_ uri: String) async throws -> (ids: [Int], link: String?) {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .ok, "\(uri): \(body(response))")
                let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                return (list.map { $0["id"] as! Int }, response.headers[HTTPField.Name("Link")!])
            }
            // Forward through every reload, three at a time, following the Link headers.
            var seen: [Int] = []
            var next: String? = "/v1/reloads?limit=3"
            var pages = 0
            while let uri = next {
                let page = try await ids(uri)
                #expect(page.ids.count <= 3)
                seen += page.ids
                // `<URI>; rel="next"`, among the links of the header.
                next = page.link?.split(separator: ",").first { $0.contains("rel=\"next\"") }
                    .map { String($0.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" }) }
                pages += 1
                #expect(pages <= all.count)
            }
            #expect(seen == all)
            #expect(pages == (all.count + 2) / 3)

            // The last ones before a reload, in id order; their links point both ways.
            let before = try await ids("/v1/reloads?before=\(all[5])&limit=2")
            #expect(before.ids == [all[3], all[4]])
            #expect(before.link == "</v1/reloads?limit=2&after=\(all[4])>; rel=\"next\", </v1/reloads?limit=2&before=\(all[3])>; rel=\"prev\"")

            // Filters stay in the links; a host filter pages over the reloads that touch the host.
            let shop = try fixture.log.reloads(ReloadFilter(host: "shop.local")).map(\.id)
            let first = try await ids("/v1/reloads?host=shop.local&limit=2")
            #expect(first.ids == Array(shop.prefix(2)))
            #expect(first.link == "</v1/reloads?host=shop.local&limit=2&after=\(shop[1])>; rel=\"next\"")
            #expect(try await ids("/v1/reloads?host=shop.local&limit=2&after=\(shop[1])").ids == Array(shop.dropFirst(2).prefix(2)))

            // Without limit: at most the default page.
            #expect(try await ids("/v1/reloads").ids == Array(all.prefix(100)))
            // Events page too.
            let events = try await client.execute(uri: "/v1/events?after=10&limit=2", method: .get)
            #expect(events.headers[HTTPField.Name("Link")!] == "</v1/events?limit=2&after=12>; rel=\"next\"")

            for (uri, message) in [("/v1/reloads?limt=5", "unknown query parameter limt; this endpoint takes after, before, cluster, host, limit, since, until, version"),
                                   ("/v1/reloads?limit=1001", "limit must be from 1 to 1000"),
                                   ("/v1/routes?host=shop.local", "unknown query parameter host; this endpoint takes at, cluster, seq"),
                                   ("/v1/events?since=2026-01-01T00:00:00Z", "unknown query parameter since"),
                                   ("/v1/clusters/_/nginx.conf?listen=80", "unknown query parameter listen")] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(body(response).contains(message), "\(uri): \(body(response))")
            }
        }
    }

    @Test("the timeline page and its JSON: hosts with their upstream counts, a host's lanes and markers; bad ranges are 400s that say why")
    func history() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            let hosts = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await client.execute(uri: "/v1/hosts", method: .get).body)) as? [[String: Any]])
            #expect(hosts.map { "\($0["host"]!) \($0["upstreams"]!)" } == ["api.local 2", "demo.local 1", "shop.local 5"])
            let first = try await client.execute(uri: "/v1/hosts?limit=2", method: .get)
            #expect(first.headers[HTTPField.Name("Link")!] == "</v1/hosts?limit=2&after=_/demo.local>; rel=\"next\"")
            let rest = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await client.execute(uri: "/v1/hosts?limit=2&after=_/demo.local", method: .get).body)) as? [[String: Any]])
            #expect(rest.map { $0["host"] as? String } == ["shop.local"])

            let list = try await client.execute(uri: "/", method: .get)
            #expect(list.headers[.contentType] == "text/html; charset=utf-8")
            #expect(body(list).contains("<a href=\"/?cluster=_&amp;host=shop.local\">shop.local</a>"))

            let page = body(try await client.execute(uri: "/?host=shop.local", method: .get))
            #expect(page.contains("<svg") && page.contains("data-live=\"true\""))
            #expect(page.components(separatedBy: "class=\"marker\"").count - 1 == 5)
            // A closed range is not live, and its permalink says so.
            let closed = body(try await client.execute(uri: "/?host=shop.local&from=18&to=20", method: .get))
            #expect(closed.contains("data-live=\"false\"") && closed.contains("href=\"/?cluster=_&amp;host=shop.local&amp;from=18&amp;to=20\""))
            let moment = body(try await client.execute(uri: "/?host=shop.local&at=20", method: .get))
            #expect(moment.contains("At this moment: seq 20") && moment.contains("<td>10.0.2.24:8080</td><td>shop.4</td><td>25%</td>"))

            let timeline = try jsonObject(try await client.execute(uri: "/v1/timeline?host=shop.local", method: .get))
            #expect((timeline["markers"] as? [Any])?.count == 5)
            let shopLanes = (timeline["lanes"] as? [[String: Any]])?.filter { $0["frontend"] as? String == "shop.local" } ?? []
            #expect(shopLanes.count == 5)
            // The last marker lists the frontend's servers after it: the addresses of the lanes still open.
            let lastFrontends = ((timeline["markers"] as? [[String: Any]])?.last?["frontends"] as? [[String: Any]]) ?? []
            #expect(lastFrontends.map { $0["frontend"] as? String } == ["shop.local"])
            #expect(lastFrontends.first?["upstreams"] as? [String] == shopLanes.compactMap { $0["address"] as? String }.sorted())

            for (uri, message) in [("/v1/routes?seq=9999", "seq 9999 is after the last event"), ("/v1/timeline", "host is required"), ("/?host=shop.local&from=999", "seq 999 is after the last event"),
                                   ("/?host=shop.local&at=yesterday", "at=yesterday is neither a position"), ("/?hots=shop.local", "unknown query parameter hots")] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest && body(response).contains(message), "\(uri): \(response.status) \(body(response))")
            }
        }
    }

    @Test("metrics: reloads per cluster, events appended, watchers, append latency, in Prometheus text")
    func metrics() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let reloadCount = try fixture.log.reloads().count
        try await fixture.app().test(.router) { client in
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: authorized, body: ByteBuffer(string: newHostEvents("m")))
            let text = body(try await client.execute(uri: "/metrics", method: .get))
            #expect(text.contains("routeledger_reloads_total{cluster=\"\"} \(reloadCount + 2)\n"))
            #expect(text.contains("routeledger_events_appended_total 3\n"))
            #expect(text.contains("routeledger_watchers 0"))
            #expect(text.contains("routeledger_append_duration_seconds_count 1\n"))
        }
    }

    @Test("a non-loopback address without a token is refused")
    func nonLoopbackNeedsToken() throws {
        let fixture = try ServerFixture(scenarios: [])
        defer { fixture.remove() }
        #expect(throws: ServerSetupError.self) {
            _ = try buildApplication(log: fixture.log, configuration: ServerConfiguration(host: "0.0.0.0"))
        }
        #expect(ServerConfiguration(host: "127.0.0.2").isLoopback)
        #expect(!ServerConfiguration(host: "10.0.0.1").isLoopback)
    }

    @Test("a large catch-up folds in steps, answering other requests in between, and ends at the newest reload")
    func largeCatchUp() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let feed = try ProxyFeed(log: fixture.log)
        // 12,000 events from another writer: one task of shop.local going down and up again.
        var lines: [String] = []
        for i in 0..<12_000 {
            let state = i % 2 == 0 ? "shutdown" : "running"
            lines.append(#"{"id":"flap-\#(i)","type":"task.updated","time":"2026-11-27T11:00:00Z","data":{"task":{"id":"shop1","serviceId":"svc-shop","state":"\#(state)","desiredState":"\#(state)","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.21/24"}]}}}"#)
        }
        let other = try EventLog(path: fixture.directory.path("server.db"))
        _ = try other.append(contentsOf: Array(lines.joined(separator: "\n").utf8))
        let versions = Set(try fixture.log.reloads().map(\.version))
        let catchUp = Task { try await feed.refresh() }
        // Answers during the catch-up (how many depends on scheduling) are each a recorded version.
        while await feed.position < 12_029 {
            #expect(versions.contains(try await feed.current(cluster: "").version.hex))
            await Task.yield()
        }
        #expect(try await catchUp.value == [""])
        #expect(await feed.position == 12_029)
        #expect(try await feed.current(cluster: "").version.hex == (try fixture.log.reloads().last?.version))
    }
}
