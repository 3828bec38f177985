import DockerStandIn
import Foundation
import RouteLedgerCore
import RouteLedgerDocker
import RouteLedgerIngest
import RouteLedgerStore
import Testing
import TestSupport

/// The scripted cluster states of data/docker/states, served by the stand-in daemon over a unix socket and
/// ingested round by round into a real event log, as `routeledger ingest docker --once` does.
@Suite("Docker ingest through a scripted cluster")
struct IngestScenarioTests {
    static let web = "9mnpnzenvg8p8tdbtq4wvbkcz"
    static let api = "ak7w3gjqoa3kuz8xcpnyy0pvl"

    /// Host → upstream addresses, as the proxy would serve them now.
    static func routes(_ log: EventLog) throws -> [String: [String]] {
        let view = try log.projection(through: log.point()).view
        var routes: [String: [String]] = [:]
        for frontend in view.frontends { routes[frontend.host] = frontend.upstreams.map(\.address).sorted() }
        return routes
    }

    @Test("create, scale up, rolling update, drain, network attach, removal, re-list: the minimal events, idempotent")
    func scriptedSequence() async throws {
        let standIn = try await startStandIn(serving: nil)
        let db = ScratchDatabase()
        let log = try db.open()
        var clockTime = Timestamp(rfc3339: "2026-11-27T10:10:00Z")!
        func ingest() -> DockerIngest {
            let now = clockTime
            return DockerIngest(client: DockerClient(endpoint: DockerEndpoint(address: .unix(path: standIn.socketPath)), timeout: Patience.duration),
                                journal: StoreJournal(log: log), clock: { now })
        }
        func step(_ state: String) async throws -> IngestRound {
            try standIn.serve(state: Fixtures.states.appendingPathComponent(state))
            return try await ingest().runOnce().1
        }

        // 1. Create: swarm networks (not bridge or host), then services, then tasks, each by time.
        var round = try await step("01-create")
        #expect(describe(round.events) == [
            "network.created docker:network.created:4qvuz4ko70xaltuqbt8956gd1",
            "network.created docker:network.created:kq2ymd8o5l7yqwm9gpyx4dz3a",
            "service.created docker:service.created:\(Self.web):v12",
            "service.created docker:service.created:\(Self.api):v15",
            "task.updated docker:task.updated:0kzzo1i0y4jz6027t0k7aezc7:v30",
            "task.updated docker:task.updated:1yljwbmlr8er2waf8orvqpwms:v31",
            "task.updated docker:task.updated:268d7h2x3ojbdq6gbfyhb6j1e:v33",
        ])
        #expect(round.append == IngestAppend(appended: 7, duplicates: 0, lastSeq: 7))
        #expect(round.events.map(\.time.rfc3339)[2...] == ["2026-11-27T09:41:15.962229872Z", "2026-11-27T09:42:51.962229872Z",
                                                           "2026-11-27T09:41:18.290032978Z", "2026-11-27T09:41:18.390032978Z",
                                                           "2026-11-27T09:42:53.290032978Z"])
        #expect(try Self.routes(log) == ["web.local": ["10.0.2.3:8080", "10.0.2.4:8080"], "api.local": ["10.0.2.9:8080"]])
        let reloadsAfterCreate = try log.reloads().count

        // 2. Scale api up: in vip mode the proxy sees nothing change.
        round = try await step("02-scale-up")
        #expect(describe(round.events) == [
            "service.updated docker:service.updated:\(Self.api):v18",
            "task.updated docker:task.updated:3b5c0r1tlqz8n2pw4k6h9y7ue:v52",
            "task.updated docker:task.updated:5v7e2g9m0c3xwd1hq8jr4nk6s:v53",
        ])
        #expect(try Self.routes(log)["api.local"] == ["10.0.2.9:8080"])
        #expect(try log.reloads().count == reloadsAfterCreate, "scaling a vip-mode service reloads no proxy")

        // 3. Rolling update: web.1 replaced (old one shut down, still listed as history).
        round = try await step("03-rolling-update")
        #expect(describe(round.events) == [
            "service.updated docker:service.updated:\(Self.web):v21",
            "task.updated docker:task.updated:5v7e2g9m0c3xwd1hq8jr4nk6s:v55",
            "task.updated docker:task.updated:4f0vxn2q5oh6ldvmcc8hz3u7r:v66",
            "task.updated docker:task.updated:0kzzo1i0y4jz6027t0k7aezc7:v61",
        ])
        #expect(try Self.routes(log)["web.local"] == ["10.0.2.4:8080", "10.0.2.5:8080"])

        // 4. web.2's desired state turns to shutdown while it still runs: it leaves the upstreams at once.
        round = try await step("04-drain")
        #expect(describe(round.events) == [
            "task.updated docker:task.updated:1yljwbmlr8er2waf8orvqpwms:v70",
            "task.updated docker:task.updated:7t1x9ms2cxxbgl0r5yq1ko4wd:v72",
        ])
        guard case .taskUpdated(let drained) = round.events[0].event else { Issue.record("not a task event"); return }
        #expect(drained.state == .running && drained.desiredState == .shutdown)
        #expect(try Self.routes(log)["web.local"] == ["10.0.2.5:8080"])

        // 5. A new network attached to web (routing pinned to demo); web.2 replaced; web.1's old task pruned.
        clockTime = Timestamp(rfc3339: "2026-11-27T10:11:00Z")!
        let before = try log.lastSeq()
        round = try await step("05-network-attach")
        #expect(describe(round.events) == [
            "network.created docker:network.created:m4w3a1x0q7ce2dn5s8f6v9b2k",
            "service.updated docker:service.updated:\(Self.web):v25",
            "task.updated docker:task.updated:1yljwbmlr8er2waf8orvqpwms:v75",
            "task.updated docker:task.updated:7t1x9ms2cxxbgl0r5yq1ko4wd:v77",
            "task.removed docker:task.removed:0kzzo1i0y4jz6027t0k7aezc7:s\(before)",
        ])
        #expect(round.events.last?.time == Timestamp(rfc3339: "2026-11-27T10:11:00Z"), "a removal is dated by the listing that missed it")
        guard case .serviceUpdated(let web) = round.events[1].event else { Issue.record("not a service event"); return }
        #expect(web.networks == ["kq2ymd8o5l7yqwm9gpyx4dz3a", "m4w3a1x0q7ce2dn5s8f6v9b2k"])
        #expect(web.vips.map(\.cidr) == ["10.0.2.2/24", "10.0.3.2/24"])
        #expect(try Self.routes(log)["web.local"] == ["10.0.2.5:8080", "10.0.2.6:8080"])

        // 6. api removed: one service.removed (removing it forgets its tasks).
        let beforeRemoval = try log.lastSeq()
        round = try await step("06-service-removal")
        #expect(describe(round.events) == ["service.removed docker:service.removed:\(Self.api):s\(beforeRemoval)"])
        #expect(try Self.routes(log) == ["web.local": ["10.0.2.5:8080", "10.0.2.6:8080"]])

        // 7. The same cluster listed again (by a fresh ingest, as after a restart): nothing to append.
        let last = try log.lastSeq()
        round = try await step("06-service-removal")
        #expect(round.events.isEmpty)
        #expect(round.append == IngestAppend(appended: 0, duplicates: 0, lastSeq: last))
        #expect(try log.lastSeq() == last)
        #expect(try log.verify().isIntact)

        // Every event says where it came from and keeps the object's time.
        let stored = try log.events()
        #expect(stored.allSatisfy { $0.meta == #"{"source":"docker"}"# })
        #expect(stored.allSatisfy { $0.id.hasPrefix("docker:") })
        await standIn.stop()
    }

    @Test("the events of one round appended twice are all duplicates: a re-list can never conflict")
    func appendingTwiceIsIdempotent() throws {
        let db = ScratchDatabase()
        let log = try db.open()
        let journal = StoreJournal(log: log)
        var state = ClusterState()
        var position: Seq = 0
        for name in Fixtures.sequence {
            let listing = try Fixtures.listing(name)
            let events = Reconciler.events(for: listing, against: state, through: position, observedAt: Timestamp(nanosecondsSinceEpoch: 0))
            let first = try journal.append(events)
            let again = try journal.append(events)
            #expect(again.appended == 0 && again.duplicates == events.count, "\(name)")
            #expect(first.appended == events.count, "\(name)")
            position = try journal.fold(after: position, into: &state)
            // The state the log folds to is the listing: reconciling again finds nothing.
            #expect(Reconciler.events(for: listing, against: state, through: position, observedAt: Timestamp(nanosecondsSinceEpoch: 1)).isEmpty,
                    "\(name)")
        }
    }
}
