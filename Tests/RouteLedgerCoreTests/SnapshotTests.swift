import RouteLedgerSimulator
import Testing
@testable import RouteLedgerCore

@Suite("Snapshots")
struct SnapshotTests {
    func recorded(_ seq: Seq, _ event: ClusterEvent, second: Int64? = nil) -> RecordedEvent {
        let time = Timestamp(nanosecondsSinceEpoch: (second ?? seq) * 1_000_000_000)
        return RecordedEvent(seq: seq, id: "e\(seq)", time: time, logTime: time, event: event)
    }

    @Test("a state restored from its snapshot equals the state folded from scratch", arguments: 0..<15)
    func stateRoundTrip(seed: UInt64) throws {
        var history = RandomHistory(seed: seed)
        var state = ClusterState()
        for seq in Seq(1)...Seq(300) {
            state.apply(history.next(), seq: seq)
            if seq % 37 == 0 {
                let restored = try ClusterState(snapshot: state.snapshot())
                #expect(restored == state, "seed \(seed), seq \(seq)")
                #expect(RoutingProjection(state: restored).view == RoutingView(state: state))
            }
        }
    }

    @Test("a reload projection restored from a snapshot continues with the same reloads", arguments: 0..<10)
    func reloadsContinue(seed: UInt64) throws {
        var history = RandomHistory(seed: seed)
        let events = (1...400).map { recorded(Seq($0), history.next()) }
        var straight = ReloadProjection()
        var expected: [Reload] = []
        for event in events { expected += straight.apply(event).reloads }

        var first = ReloadProjection()
        var got: [Reload] = []
        for event in events[..<150] { got += first.apply(event).reloads }
        let bytes = try #require(first.snapshot())
        var resumed = try ReloadProjection(snapshot: bytes, settings: .immediate)
        for event in events[150...] { got += resumed.apply(event).reloads }
        #expect(got == expected, "seed \(seed)")
        for cluster in ["", "edge"] { #expect(resumed.version(cluster: cluster) == straight.version(cluster: cluster)) }
    }

    @Test("no snapshot while a settle window is open")
    func noSnapshotWhilePending() {
        var projection = ReloadProjection(settings: ReloadSettings(settle: 5_000_000_000))
        let events: [ClusterEvent] = Fixture.networks + [.serviceCreated(F.service("web", ["hosts": "web.local", "port": "80"]))]
            + F.running(1, of: "web", subnet: 1)
        for (i, event) in events.enumerated() { _ = projection.apply(recorded(Seq(i + 1), event)) }
        #expect(projection.snapshot() == nil)
        _ = projection.apply(recorded(99, .proxyApplied(ProxyReport(cluster: "", version: "v", proxy: "p")), second: 60))
        #expect(projection.snapshot() != nil)
    }

    @Test("a snapshot of another format version is refused")
    func versionChecked() {
        #expect(throws: EventValidationError.self) { try ClusterState(snapshot: Array(#"{"version":99,"seq":1}"#.utf8)) }
    }
}
