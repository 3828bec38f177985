import GRDB
import RouteLedgerCore

// MARK: - What a live proxy feed reads: the newest reload of each cluster, and reload counts.

extension EventLog {
    /// The newest reload of each service cluster among those with an id above `afterID`, in id order.
    public func newestReloads(afterID: Int = 0) throws -> [StoredReload] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM reloads WHERE id IN (SELECT max(id) FROM reloads WHERE id > ? GROUP BY cluster) ORDER BY id
                """, arguments: [afterID]).map(StoredReload.init)
        }
    }

    /// How many reloads each service cluster has had, among those with an id above `afterID`.
    public func reloadCounts(afterID: Int = 0) throws -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT cluster, count(*) FROM reloads WHERE id > ? GROUP BY cluster", arguments: [afterID]) {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }
}
