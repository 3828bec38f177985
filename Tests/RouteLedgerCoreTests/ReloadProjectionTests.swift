import RouteLedgerSimulator
import Testing
@testable import RouteLedgerCore
import RouteLedgerJSON

/// Folds events at positions 1, 2, 3, … (log time: `seconds[i]`, default one second apart) through the
/// reload projection, then flushes; returns each event's effect.
func audit(_ events: [ClusterEvent], settings: ReloadSettings = .immediate, seconds: [Int64]? = nil)
    -> (projection: ReloadProjection, effects: [EventEffect], reloads: [Reload]) {
    var projection = ReloadProjection(settings: settings)
    var effects: [Seq: EventEffect] = [:]
    var reloads: [Reload] = []
    for (i, event) in events.enumerated() {
        let seq = Seq(i + 1)
        let time = Timestamp(nanosecondsSinceEpoch: (seconds?[i] ?? seq) * 1_000_000_000)
        let step = projection.apply(RecordedEvent(seq: seq, id: "e\(seq)", time: time, logTime: time, event: event))
        effects.merge(step.effects) { _, new in new }
        reloads += step.reloads
    }
    let end = projection.flush()
    effects.merge(end.effects) { _, new in new }
    reloads += end.reloads
    return (projection, (1...events.count).map { effects[Seq($0)]! }, reloads)
}

/// The reloads of the first `events` events of the random history `seed`, folded at log time 0 without a
/// settle window.
func randomHistoryReloads(seed: UInt64, events: Int = 300) -> [Reload] {
    var history = RandomHistory(seed: seed)
    var projection = ReloadProjection()
    var reloads: [Reload] = []
    for seq in Seq(1)...Seq(events) {
        reloads += projection.apply(RecordedEvent(seq: seq, id: "e\(seq)", time: Timestamp(nanosecondsSinceEpoch: 0),
                                                  logTime: Timestamp(nanosecondsSinceEpoch: 0), event: history.next())).reloads
    }
    return reloads
}

extension EventEffect {
    var isReload: Bool { if case .reload = self { true } else { false } }
    var reason: String? { if case .absorbed(let reason) = self { reason } else { nil } }
}

@Suite("Reloads and absorbed events (DESIGN section 4)")
struct ReloadProjectionTests {
    static let vipDemo: [ClusterEvent] = Fixture.networks
        + [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 4))]
        + F.running(4, of: "demo", subnet: 2)

    @Test("config.changed holds from its position: the reloads before it are those without it; later changes coalesce")
    func settingsFromTheirPosition() {
        let web: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "8080"], replicas: 6))]
            + F.running(6, of: "web", subnet: 3)
        let (early, late) = (Array(web.dropLast(3)), Array(web.suffix(3)))
        let settle = ReloadSettings(settle: 5_000_000_000)
        let plain = audit(early)
        // The early events one second apart, the setting, then three tasks one second apart: one reload.
        let withSetting = audit(early + [.configChanged(settle)] + late)
        let at = Seq(early.count + 1)
        #expect(Array(withSetting.reloads.prefix(plain.reloads.count)) == plain.reloads, "the past is untouched")
        #expect(withSetting.reloads.count == plain.reloads.count + 1)
        #expect(withSetting.reloads.last?.causes == [at + 1, at + 2, at + 3])
        #expect(withSetting.effects[Int(at) - 1].reason == "reload settings from here on: settle 5s, max wait 50s; reloads before it keep their ids")
        #expect(withSetting.projection.settings == settle)
        // Back to no coalescing: the open window closes at that setting, and the next change reloads alone.
        let back = audit([.configChanged(settle)] + early + [.configChanged(.immediate)] + late)
        #expect(back.reloads.count == 4)
        #expect(back.reloads[0].causes.count > 1, "the early changes, coalesced")
        #expect(back.reloads.dropFirst().map(\.causes) == [[at + 2], [at + 3], [at + 4]])
    }

    @Test("vip mode: creating the service reloads; every task, the first included, is absorbed")
    func vipCreation() {
        let (_, effects, reloads) = audit(Self.vipDemo)
        #expect(effects.map(\.isReload) == [false, false, false, true, false, false, false, false])
        #expect(reloads.count == 1)
        #expect(reloads[0].seq == 4 && reloads[0].causes == [4] && reloads[0].previousVersion == nil)
        #expect(reloads[0].diff.frontendsAdded == [FrontendKey(cluster: "", host: "demo.local")])
        #expect(reloads[0].diff.networksAdded == ["n-demo"])
        #expect(effects[4].reason == "demo is in vip mode: task demo.1 leaves upstream 10.0.2.9:8080 unchanged")
        #expect(effects[5].reason == "demo is in vip mode: task demo.2 leaves upstream 10.0.2.9:8080 unchanged")
    }

    @Test("vip mode: scaling, image, env and non-lb label changes are absorbed, with the reason")
    func vipChurnAbsorbed() {
        let events = Self.vipDemo + [
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6)),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6, image: "img:2")),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6, image: "img:2", env: ["A=1"])),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9", replicas: 6, image: "img:2", env: ["A=1"], otherLabels: ["team": "x"])),
            .taskUpdated(F.task("demo-5", of: "demo", slot: 5, ip: "10.0.2.5")),
        ]
        let (_, effects, reloads) = audit(events)
        #expect(reloads.count == 1)
        let reasons = effects.suffix(5).map(\.reason)
        #expect(reasons == [
            "demo is in vip mode: replicas 4→6 leave upstream 10.0.2.9:8080 unchanged",
            "demo is in vip mode: image img:2 leaves upstream 10.0.2.9:8080 unchanged",
            "demo is in vip mode: env leaves upstream 10.0.2.9:8080 unchanged",
            "demo is in vip mode: non-lb labels leaves upstream 10.0.2.9:8080 unchanged",
            "demo is in vip mode: task demo.5 leaves upstream 10.0.2.9:8080 unchanged",
        ])
    }

    @Test("vip mode: the last task stopping reloads nothing; removing the service does")
    func vipLastTask() {
        let events = Self.vipDemo
            + (1...4).map { .taskUpdated(F.task("demo-\($0)", of: "demo", .running, desired: .shutdown, slot: $0, ip: "10.0.2.\($0)")) }
            + (1...4).map { .taskRemoved(TaskID("demo-\($0)")) }
            + [.serviceRemoved("s-demo")]
        let (_, effects, reloads) = audit(events)
        #expect(effects.suffix(9).map(\.isReload) == [false, false, false, false, false, false, false, false, true])
        #expect(effects[11].reason == "demo is in vip mode: task demo.4 leaves upstream 10.0.2.9:8080 unchanged")
        #expect(reloads.count == 2)
        #expect(reloads.last?.causes == [17])
        #expect(reloads.last?.diff.frontendsRemoved == [FrontendKey(cluster: "", host: "demo.local")])
        #expect(reloads.last?.diff.networksRemoved == ["n-demo"])
    }

    @Test("vip mode: a one-replica service whose task fails and is rescheduled reloads no proxy")
    func vipReschedule() {
        let events = Fixture.networks
            + [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
            + F.running(1, of: "demo", subnet: 2)
            + [.taskUpdated(F.task("demo-1", of: "demo", .failed, desired: .shutdown, ip: "10.0.2.1")),
               .taskUpdated(F.task("demo-1b", of: "demo", .starting, ip: "10.0.2.7")),
               .taskUpdated(F.task("demo-1b", of: "demo", ip: "10.0.2.7")),
               .taskRemoved("demo-1")]
        let (_, effects, reloads) = audit(events)
        #expect(reloads.map(\.seq) == [4])
        #expect(effects.suffix(5).allSatisfy { !$0.isReload })
        // demo-1b takes slot 1 while the failed demo-1 is still listed: the short id tells them apart.
        #expect(effects[5].reason == "demo is in vip mode: task demo.1 leaves upstream 10.0.2.9:8080 unchanged")
        #expect(effects[7].reason == "demo is in vip mode: task demo.1 (demo-1b) leaves upstream 10.0.2.9:8080 unchanged")
    }

    @Test("vip mode: attaching and detaching the route network reloads (the VIP is created and destroyed)")
    func vipNetworkAttachment() {
        let events = Fixture.networks
            + [.serviceCreated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], networks: []))]
            + [.serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], vip: "10.0.2.9"))]
            + F.running(1, of: "demo", subnet: 2)
            + [.serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip"], networks: []))]
        let (_, effects, reloads) = audit(events)
        #expect(effects.suffix(4).map(\.isReload) == [false, true, false, true])
        #expect(effects[3].reason == "service demo has no network to route through")
        #expect(reloads.map(\.seq) == [5, 7])
        #expect(reloads[0].diff.networksAdded == ["n-demo"])
        #expect(reloads[1].diff.frontendsRemoved == [FrontendKey(cluster: "", host: "demo.local")])
    }

    @Test("task mode: each task change reloads; a drain reloads, the later shutdown and removal do not")
    func taskModeDrain() {
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
            + F.running(3, of: "web", subnet: 1)
            + [.taskUpdated(F.task("web-2", of: "web", .running, desired: .shutdown, slot: 2, ip: "10.0.1.2")),
               .taskUpdated(F.task("web-2", of: "web", .shutdown, desired: .shutdown, slot: 2, ip: "10.0.1.2")),
               .taskRemoved("web-2")]
        let (_, effects, reloads) = audit(events)
        #expect(effects.suffix(6).map(\.isReload) == [true, true, true, true, false, false])
        let drain = reloads[3]
        #expect(drain.causes == [8])
        #expect(drain.diff.upstreams == [ProxyDiff.UpstreamChange(key: FrontendKey(cluster: "", host: "web.local"), added: [],
                                                                  removed: [ProxyServer(address: "10.0.1.2:80")],
                                                                  shareBefore: 1.0 / 3, shareAfter: 0.5)])
        #expect(effects[8].reason == "task web.2 is not running (shutdown)")
        #expect(effects[9].reason == "task web.2 was no longer an upstream (shutdown)")
    }

    @Test("sticky on a vip service and an invalid label change are absorbed with their reasons")
    func ignoredAndInvalidLabels() {
        let events = Self.vipDemo + [
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "vip", "sticky_session_cookie": "s"], vip: "10.0.2.9", replicas: 4)),
            .serviceUpdated(F.service("demo", ["hosts": "demo.local", "port": "8080", "backend_mode": "bogus"], vip: "10.0.2.9", replicas: 4)),
        ]
        let (_, effects, reloads) = audit(events)
        #expect(reloads.count == 1)
        #expect(effects[8].reason == "demo is in vip mode: sticky_session_cookie (ignored: sticky sessions need task mode; ignored because backend_mode is vip) leaves upstream 10.0.2.9:8080 unchanged")
        #expect(effects[9].reason == "label backend_mode=bogus is invalid: last valid routing kept")
    }

    @Test("a change in one service cluster never reloads another")
    func clustersApart() {
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("a", ["hosts": "a.local", "port": "80"])),
               .serviceCreated(F.service("b", ["hosts": "b.local", "port": "80", "service_cluster": "edge"]))]
            + F.running(1, of: "a", subnet: 1) + F.running(1, of: "b", subnet: 2)
        let (projection, _, reloads) = audit(events)
        #expect(reloads.map(\.cluster) == ["", "edge"])
        #expect(reloads.map(\.seq) == [6, 7])
        #expect(projection.version(cluster: "") != projection.version(cluster: "edge"))
    }

    @Test("changing a task's service name alone does not reload: the proxy does not see names")
    func namesAreNotSeen() {
        var renamed = F.service("web", ["hosts": "web.local", "port": "80"])
        renamed.name = "web-renamed"
        let events: [ClusterEvent] = Fixture.networks
            + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))] + F.running(1, of: "web", subnet: 1)
            + [.serviceUpdated(renamed)]
        let (_, effects, _) = audit(events)
        #expect(!effects.last!.isReload)
    }

    @Test("the incremental version always equals the version of the view computed from scratch", arguments: 0..<25)
    func versionsMatchFromScratch(seed: UInt64) {
        var history = RandomHistory(seed: seed)
        var projection = ReloadProjection()
        var lastReloaded: [String: ConfigVersion] = [:]
        for seq in Seq(1)...Seq(250) {
            let event = history.next()
            let step = projection.apply(RecordedEvent(seq: seq, id: "e\(seq)", time: Timestamp(nanosecondsSinceEpoch: 0),
                                                      logTime: Timestamp(nanosecondsSinceEpoch: 0), event: event))
            #expect(step.effects[seq] != nil, "seed \(seed) seq \(seq): no effect without a settle window")
            for reload in step.reloads {
                #expect(reload.previousVersion == lastReloaded[reload.cluster], "seed \(seed) seq \(seq)")
                lastReloaded[reload.cluster] = reload.version
            }
            for cluster in ["", "edge"] {
                let scratch = ProxyView(cluster: cluster, state: projection.routing.state)
                #expect(projection.proxyView(cluster: cluster) == scratch, "seed \(seed) seq \(seq): views differ")
                // Every change of the view was a reload: the last reloaded version is the view's version.
                if let version = lastReloaded[cluster] {
                    #expect(version == scratch.version, "seed \(seed) seq \(seq) (\(event.summary)): cluster \(cluster) runs a stale version")
                } else {
                    #expect(scratch == ProxyView(cluster: cluster), "seed \(seed) seq \(seq): a non-empty view was never reloaded")
                }
            }
        }
    }

    @Test("each reload's diff is the diff between the views computed from scratch at it and at the reload before, with or without a settle window",
          arguments: (0..<12).map { (UInt64($0), $0 % 2 == 0 ? Int64(0) : Int64(3_000_000_000)) })
    func diffsMatchFromScratch(seed: UInt64, settle: Int64) {
        var history = RandomHistory(seed: seed)
        var projection = ReloadProjection(settings: ReloadSettings(settle: settle))
        var reloaded: [String: ProxyView] = [:]
        var count = 0
        func check(_ step: ReloadStep, candidates: [String: [ProxyView]], at seq: Seq) {
            for reload in step.reloads {
                count += 1
                // The reload carries the view before or after the event (a window that closed before it).
                guard let view = candidates[reload.cluster]?.first(where: { $0.version == reload.version }) else {
                    Issue.record("seed \(seed) seq \(seq): reload \(reload.id) has a version no view has")
                    continue
                }
                let before = reloaded[reload.cluster] ?? ProxyView(cluster: reload.cluster)
                #expect(reload.diff == ProxyDiff(from: before, to: view), "seed \(seed) seq \(seq): reload \(reload.id)")
                reloaded[reload.cluster] = view
            }
        }
        var views: [String: ProxyView] = [:]
        for seq in Seq(1)...Seq(400) {
            let event = history.next()
            // Two seconds apart, bursts of three: a 3 s window coalesces some and closes on others.
            let time = Timestamp(nanosecondsSinceEpoch: (seq / 3) * 4_000_000_000 + (seq % 3) * 1_000_000_000)
            let step = projection.apply(RecordedEvent(seq: seq, id: "e\(seq)", time: time, logTime: time, event: event))
            var now: [String: ProxyView] = [:]
            for cluster in ["", "edge"] { now[cluster] = ProxyView(cluster: cluster, state: projection.routing.state) }
            check(step, candidates: ["": [views[""], now[""]].compactMap { $0 }, "edge": [views["edge"], now["edge"]].compactMap { $0 }], at: seq)
            views = now
        }
        check(projection.flush(), candidates: views.mapValues { [$0] }, at: 401)
        #expect(count > 20, "seed \(seed): only \(count) reloads")
    }

    @Test("a settle window turns a burst of task events into one reload whose causes list them all")
    func settleBurst() {
        let setup: [ClusterEvent] = Fixture.networks + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
        let burst: [ClusterEvent] = F.running(6, of: "web", subnet: 1)
        let later: [ClusterEvent] = [.taskUpdated(F.task("web-1", of: "web", .running, desired: .shutdown, ip: "10.0.1.1"))]
        // Setup at 1…4 s, the burst 0.5 s apart would need sub-second times: use 10…15 s with a 2 s window.
        let seconds: [Int64] = [1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 30]
        let (_, effects, reloads) = audit(setup + burst + later, settings: ReloadSettings(settle: 2_000_000_000), seconds: seconds)
        #expect(reloads.count == 2)
        #expect(reloads[0].causes == [5, 6, 7, 8, 9, 10])
        #expect(reloads[0].seq == 10)
        #expect(reloads[0].logTime == Timestamp(nanosecondsSinceEpoch: 17_000_000_000))
        #expect(reloads[0].diff.upstreams.first?.added.count == 6)
        #expect(effects[4...9].allSatisfy { $0 == .reload([1]) })
        #expect(reloads[1].causes == [11])
        #expect(effects[10] == .reload([2]))
    }

    @Test("a settle window reloads at the latest after its maximum wait")
    func settleMaxWait() {
        let events: [ClusterEvent] = Fixture.networks + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
            + F.running(8, of: "web", subnet: 1)
        // A change every second with a 2 s window never goes quiet; max wait 5 s cuts it.
        let seconds: [Int64] = [1, 2, 3, 4] + (10...17).map { Int64($0) }
        let (_, _, reloads) = audit(events, settings: ReloadSettings(settle: 2_000_000_000, maxWait: 5_000_000_000), seconds: seconds)
        #expect(reloads.map(\.causes) == [[5, 6, 7, 8, 9], [10, 11, 12]])
        #expect(reloads[0].logTime == Timestamp(nanosecondsSinceEpoch: 15_000_000_000))
    }

    @Test("a change undone inside the settle window reloads nothing, and says so")
    func settleUndone() {
        let events: [ClusterEvent] = Fixture.networks + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
            + F.running(2, of: "web", subnet: 1)
            + [.taskUpdated(F.task("web-2", of: "web", .running, desired: .shutdown, ip: "10.0.1.2")),
               .taskUpdated(F.task("web-2", of: "web", .running, desired: .running, ip: "10.0.1.2"))]
        let seconds: [Int64] = [1, 2, 3, 4, 5, 6, 20, 21]
        let (_, effects, reloads) = audit(events, settings: ReloadSettings(settle: 2_000_000_000), seconds: seconds)
        #expect(reloads.count == 1)
        #expect(effects[6].reason?.hasPrefix("its change was undone before the settle window closed") == true)
        #expect(effects[7].reason?.hasPrefix("its change was undone") == true)
    }

    @Test("replaying the same events gives the same reloads and effects")
    func deterministic() {
        var history = RandomHistory(seed: 99)
        let events = (0..<400).map { _ in history.next() }
        let seconds = (0..<400).map { Int64($0 / 3) }
        let first = audit(events, settings: ReloadSettings(settle: 1_000_000_000), seconds: seconds)
        let second = audit(events, settings: ReloadSettings(settle: 1_000_000_000), seconds: seconds)
        #expect(first.reloads == second.reloads)
        #expect(first.effects == second.effects)
        #expect(!first.reloads.isEmpty)
    }
}

@Suite("Reload JSON written directly")
struct ReloadJSONTests {
    @Test("the direct diff writer gives the bytes of the documented JSON", arguments: 0..<5)
    func sameBytes(seed: UInt64) {
        var checked = 0
        for reload in randomHistoryReloads(seed: seed) {
            var bytes: [UInt8] = []
            reload.diff.writeJSON(into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == reload.diff.json.formatted(pretty: false))
            checked += 1
        }
        #expect(checked > 10)
    }
}
