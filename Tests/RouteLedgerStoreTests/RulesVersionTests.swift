import Foundation
import GRDB
import RouteLedgerCore
import Testing
@testable import RouteLedgerStore

/// Reload records are computed with the routing rules of the build that wrote them: a database written by
/// other rules is rebuilt when opened, never served stale.
@Suite("Projections follow the rules version")
struct RulesVersionTests {
    /// `Fixtures/rules-v1-scenarios.sql`: `sqlite3 .dump` of a database into which `routeledger append` of
    /// 960db3f (routing rules v1: a VIP is routed while a task runs) wrote the four scenarios of data/.
    static func rulesV1Database() async throws -> TemporaryDatabase {
        let dump = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/rules-v1-scenarios.sql")
        let db = try await TemporaryDatabase()
        try await db.execute(try String(contentsOf: dump, encoding: .utf8))
        return db
    }

    @Test("a database written with rules v1 is rebuilt once when opened, and then tells the story of the current rules")
    func rebuildsOnce() async throws {
        let old = try await Self.rulesV1Database()
        let before = try await storedRows(old)
        // Rules v1 reloaded demo.local at its first running task (seq 7), api.local at 24 and 29.
        #expect(before.count == 9)
        let reloads = try await old.query("SELECT seq, diff FROM reloads ORDER BY id")
        #expect(reloads.contains { $0.hasPrefix("7|") && $0.contains("demo.local") })

        let log = try old.open()
        let upgrade = try #require(log.projectionUpgrade)
        #expect(upgrade.fromRules == 1 && upgrade.toRules == RoutingRules.version && upgrade.events == 29)
        #expect(upgrade.description.hasPrefix("reload records and snapshots followed routing rules v1 (vip mode routed a service's VIP while at least one of its tasks ran); rebuilt them from 29 events with rules v\(RoutingRules.version) in "))
        #expect(try log.rulesVersion() == RoutingRules.version)
        // demo.local is now routed from the service's creation (seq 6), api.local from each service's (23, 28).
        #expect(try log.reloads(ReloadFilter(host: "demo.local")).map(\.seq) == [6])
        #expect(try log.reloads(ReloadFilter(host: "api.local")).map(\.seq) == [23, 28])
        #expect(try log.verifyProjections() == nil)

        // The same as a database written with the current rules from the same events.
        let fresh = try await TemporaryDatabase()
        _ = try fresh.open().append(contentsOf: try scenarios())
        #expect(try await storedRows(old) == storedRows(fresh))
        #expect(try await storedRows(old) != before)

        // Once: opening it again rebuilds nothing.
        #expect(try old.open().projectionUpgrade == nil)
        #expect(try fresh.open().projectionUpgrade == nil)
    }

    @Test("a new database follows the current rules and reports no rebuild")
    func newDatabase() async throws {
        let db = try await TemporaryDatabase()
        let log = try db.open()
        #expect(log.projectionUpgrade == nil)
        #expect(try log.rulesVersion() == RoutingRules.version)
    }
}
