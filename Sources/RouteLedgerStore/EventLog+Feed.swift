import RouteLedgerCore

// MARK: - What a live proxy feed reads: the newest reload of each cluster, and reload counts.

extension EventLog {
    /// The newest reload of each service cluster among those with an id above `afterID`, in id order.
    public func newestReloads(afterID: Int = 0) throws -> [StoredReload] {
        try read { connection in
            try connection.rows("""
                SELECT \(reloadColumns) FROM reloads WHERE id IN (SELECT max(id) FROM reloads WHERE id > ? GROUP BY cluster) ORDER BY id
                """, [.integer(Int64(afterID))]).map(StoredReload.init)
        }
    }

    /// How many reloads each service cluster has had, among those with an id above `afterID`.
    public func reloadCounts(afterID: Int = 0) throws -> [String: Int] {
        try read { connection in
            var counts: [String: Int] = [:]
            for row in try connection.rows("SELECT cluster, count(*) FROM reloads WHERE id > ? GROUP BY cluster", [.integer(Int64(afterID))]) {
                counts[try row.text(0)] = Int(try row.int(1))
            }
            return counts
        }
    }
}
