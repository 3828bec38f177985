import Foundation
import RouteLedgerCore
import Testing
@testable import RouteLedgerStore

/// A host's upstreams over a range, as the page and the report draw them (issue 14), on the seed scenarios.
@Suite("Host timelines")
struct HostTimelineTests {
    static func log() async throws -> (TemporaryDatabase, EventLog) {
        let db = try await TemporaryDatabase()
        let log = try db.open()
        _ = try log.append(contentsOf: try scenarios())
        return (db, log)
    }

    @Test("vip mode: demo.local has one lane, the VIP, unbroken across scaling, env changes and a rescheduled task")
    func vipLane() async throws {
        let (db, log) = try await Self.log()
        defer { withExtendedLifetime(db) {} }
        let timeline = try log.hostTimeline(host: "demo.local", cluster: "", from: log.point(seq: 0), to: log.point())
        let lanes = timeline.lanes.filter { $0.frontend == "demo.local" }
        #expect(lanes.map(\.address) == ["10.0.2.9:8080"])
        #expect(lanes[0].segments.count == 1)
        #expect(lanes[0].segments[0].task == nil && lanes[0].segments[0].share == 1 && lanes[0].segments[0].to == nil)
        #expect(timeline.markers.count == 1, "the vip scaling events reload nothing: \(timeline.markers.map(\.changes))")
        // The default backend has its own lane, from its first task on.
        #expect(timeline.lanes.last?.frontend == "default backend")
        #expect(timeline.lanes.last?.segments.first?.service == "demo-default")
    }

    @Test("the servers after each reload of a host, read off the stored diffs, agree with the routing replayed to that reload")
    func frontendServers() async throws {
        let (db, log) = try await Self.log()
        defer { withExtendedLifetime(db) {} }
        for host in ["shop.local", "demo.local"] {
            let entries = try log.frontendServers(host: host, cluster: nil, through: log.lastSeq())
            #expect(!entries.isEmpty)
            for entry in entries {
                let view = try log.projection(through: log.point(seq: entry.reload.seq)).view
                let upstreams = view.frontends.filter { DiffText.frontend($0.key) == entry.list.frontend }.flatMap { $0.upstreams.map(\.address) }
                #expect(entry.list.servers == upstreams.sorted(), "\(host) reload \(entry.reload.id)")
            }
        }
    }

    @Test("a marker's server lists are those of the timeline command, whatever the range's start")
    func markerServers() async throws {
        let (db, log) = try await Self.log()
        defer { withExtendedLifetime(db) {} }
        for host in ["shop.local", "demo.local"] {
            let rows = try log.frontendServers(host: host, cluster: nil, through: log.lastSeq())
            let starts = [0] + Set(rows.map(\.reload.seq)).sorted()
            for start in starts {
                let timeline = try log.hostTimeline(host: host, cluster: "", from: log.point(seq: start), to: log.point())
                #expect(!timeline.markers.isEmpty || start == starts.last, "\(host) from seq \(start)")
                for marker in timeline.markers {
                    let expected = rows.filter { $0.reload.id == marker.id }.map(\.list)
                    #expect(!expected.isEmpty)
                    #expect(marker.frontends == expected, "\(host) from seq \(start), reload \(marker.id)")
                }
            }
        }
    }

    @Test("task mode: shop.local ends with five lanes at 20%, the canary's the last to start; each reload a marker")
    func canaryLanes() async throws {
        let (db, log) = try await Self.log()
        defer { withExtendedLifetime(db) {} }
        let timeline = try log.hostTimeline(host: "shop.local", cluster: "", from: log.point(seq: 0), to: log.point())
        let shop = timeline.lanes.filter { $0.frontend == "shop.local" }
        #expect(shop.count == 5)
        let open = shop.compactMap { $0.segments.last }.filter { $0.to == nil }
        #expect(open.count == 5 && open.allSatisfy { abs($0.share - 0.2) < 1e-9 }, "\(open)")
        #expect(open.map(\.service).sorted() == ["shop", "shop", "shop", "shop", "shop-canary"])
        #expect(open.first { $0.service == "shop-canary" }?.taskName == "shop-canary.1")
        // The first task's lane changes share at each reload: 100%, 50%, 33.3%, 25%, 20%.
        #expect(shop[0].segments.map { DiffText.percent($0.share) } == ["100%", "50%", "33.3%", "25%", "20%"])
        #expect(timeline.markers.count == 5)
        #expect(timeline.markers.last?.changes == ["shop.local: +10.0.2.31:8080 share 25% → 20%"])
        #expect(timeline.services == ["shop", "shop-canary", "demo-default"])
    }

    @Test("a range reads from its start: the lanes at the start are there, earlier reloads are not markers")
    func range() async throws {
        let (db, log) = try await Self.log()
        defer { withExtendedLifetime(db) {} }
        let whole = try log.hostTimeline(host: "shop.local", cluster: "", from: log.point(seq: 0), to: log.point())
        let start = whole.markers[3].point.seq
        let part = try log.hostTimeline(host: "shop.local", cluster: "", from: log.point(seq: start), to: log.point())
        #expect(part.markers.map(\.id) == [whole.markers[4].id])
        #expect(part.lanes.filter { $0.frontend == "shop.local" }.count == 5)
        #expect(part.lanes.first?.segments.first?.from.seq == start, "a lane open at the start starts there")
        // An unknown host: no lane of its own, no marker.
        let none = try log.hostTimeline(host: "nobody.local", cluster: "", from: log.point(seq: 0), to: log.point())
        #expect(none.markers.isEmpty && none.lanes.allSatisfy { $0.frontend == "default backend" })
    }

    @Test("a host filter reads only reloads that name the host, underscores and all; position bounds are id bounds", arguments: Engine.all)
    func hostFilter(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: try scenarios())
        let events = """
            {"id":"u-svc","type":"service.created","data":{"service":{"id":"svc-u","name":"u","labels":{"com.docker.lb.hosts":"web_1.local","com.docker.lb.port":"80"},"networks":["jed11c1x685a1r8acirk2ylol"]}}}
            {"id":"u-task","type":"task.updated","data":{"task":{"id":"u1","serviceId":"svc-u","state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.77/24"}]}}}
            {"id":"x-svc","type":"service.created","data":{"service":{"id":"svc-x","name":"x","labels":{"com.docker.lb.hosts":"webx1.local","com.docker.lb.port":"80"},"networks":["jed11c1x685a1r8acirk2ylol"]}}}
            {"id":"x-task","type":"task.updated","data":{"task":{"id":"x1","serviceId":"svc-x","state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.78/24"}]}}}

            """
        _ = try log.append(contentsOf: Array(events.utf8))
        let underscore = try log.reloads(ReloadFilter(host: "web_1.local"))
        #expect(underscore.count == 1 && underscore.allSatisfy { $0.touches(host: "web_1.local") })
        #expect(try log.reloads(ReloadFilter(host: "webx1.local")).count == 1)
        // Position bounds: the reloads after seq 18 through seq 22 are those with seq in (18, 22].
        var filter = ReloadFilter(throughSeq: 22)
        filter.afterSeq = 18
        #expect(try log.reloads(filter).map(\.seq) == log.reloads().map(\.seq).filter { $0 > 18 && $0 <= 22 })
        #expect(try log.reloads(filter).isEmpty == false)
    }
}
