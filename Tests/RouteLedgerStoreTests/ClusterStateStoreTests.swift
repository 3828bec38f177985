import Foundation
import RouteLedgerCore
import RouteLedgerSimulator
import Testing
@testable import RouteLedgerStore

@Suite("The folded cluster, read from the store")
struct ClusterStateStoreTests {
    @Test("an empty log gives the empty state at position 0", arguments: Engine.all)
    func empty(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        let (state, seq) = try log.clusterState()
        #expect(seq == 0)
        #expect(state == ClusterState())
    }

    @Test("clusterState equals the fold of the whole log, snapshots or not", arguments: Engine.all, [10_000, 150])
    func equalsFold(engine: Engine, snapshotEvery: Int) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        try log.setSnapshotInterval(snapshotEvery)
        _ = try log.append(contentsOf: ChurnSimulator.lines(1_000, ChurnConfiguration(seed: 5, services: 12)))
        var events: [RecordedEvent] = []
        try log.replay { events.append($0) }
        let (state, seq) = try log.clusterState()
        #expect(seq == 1_000)
        #expect(state == ClusterState.fold(events))
    }

    @Test("fold(after:into:) catches up with events another writer appended, and reports the last position", arguments: Engine.all)
    func catchUp(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let reader = try db.open()
        let writer = try db.open()
        let input = ChurnSimulator.lines(600, ChurnConfiguration(seed: 9, services: 8))
        let lines = input.split(separator: UInt8(ascii: "\n"))
        _ = try writer.append(contentsOf: Array(lines[..<400].joined(separator: [UInt8(ascii: "\n")])))
        var (state, seq) = try reader.clusterState()
        #expect(seq == 400)
        #expect(try reader.fold(after: seq, into: &state) == 400)
        _ = try writer.append(contentsOf: Array(lines[400...].joined(separator: [UInt8(ascii: "\n")])))
        seq = try reader.fold(after: seq, into: &state)
        #expect(seq == 600)
        #expect(state == (try reader.clusterState()).state)
    }
}
