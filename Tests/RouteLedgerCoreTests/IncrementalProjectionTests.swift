import RouteLedgerSimulator
import Testing
@testable import RouteLedgerCore

@Suite("Incremental projection")
struct IncrementalProjectionTests {
    @Test("folding incrementally gives the from-scratch routing after every event", arguments: 0..<40)
    func incrementalEqualsFromScratch(seed: UInt64) {
        var history = RandomHistory(seed: seed)
        var projection = RoutingProjection()
        var events: [RecordedEvent] = []
        for seq in Seq(1)...Seq(300) {
            let event = history.next()
            let before = projection
            let change = projection.apply(event, seq: seq)
            events.append(RecordedEvent(seq: seq, id: "e\(seq)", time: Timestamp(nanosecondsSinceEpoch: 0),
                                        logTime: Timestamp(nanosecondsSinceEpoch: 0), event: event))

            let view = projection.view
            let fromScratch = RoutingView(state: ClusterState.fold(events))
            guard view == fromScratch else {
                Issue.record("seed \(seed), seq \(seq) (\(event.summary)): incremental view differs from scratch\nincremental: \(view.lines) \(view.notes)\nscratch:     \(fromScratch.lines) \(fromScratch.notes)")
                return
            }
            // The change report names every frontend and default backend that changed: later projections rely on it.
            let keys = Set(before.view.frontends.map(\.key)).union(view.frontends.map(\.key))
            for key in keys where before.frontend(key).0 != projection.frontend(key).0 {
                #expect(change.frontends.contains(key), "seed \(seed), seq \(seq): \(key) changed but was not reported")
            }
            for cluster in ["", "edge"] where before.defaultBackend(cluster: cluster) != projection.defaultBackend(cluster: cluster) {
                #expect(change.defaultBackendClusters.contains(cluster), "seed \(seed), seq \(seq): default backend of \(cluster) changed unreported")
            }
        }
    }

    @Test("random histories exercise the interesting cases")
    func historiesAreNotTrivial() {
        var history = RandomHistory(seed: 7)
        var projection = RoutingProjection()
        var sawFrontend = false, sawDefault = false, sawInvalid = false, sawShared = false
        for seq in Seq(1)...Seq(2_000) {
            projection.apply(history.next(), seq: seq)
            let view = projection.view
            sawFrontend = sawFrontend || !view.frontends.isEmpty
            sawDefault = sawDefault || !view.defaultBackends.isEmpty
            sawInvalid = sawInvalid || view.diagnostics.contains { $0.message.contains("last valid routing kept") }
            sawShared = sawShared || view.frontends.contains { Set($0.upstreams.map(\.service)).count > 1 }
        }
        #expect(sawFrontend && sawDefault && sawInvalid && sawShared)
    }
}
