import GRDB
import RouteLedgerCore

/// A proxy's report that it ran, or refused, a configuration version.
public struct ProxyReportRecord: Sendable, Hashable {
    /// The report's position.
    public var seq: Seq
    /// Its log time.
    public var logTime: Timestamp
    /// `proxy.applied` (true) or `proxy.rejected` (false).
    public var applied: Bool
    /// The report.
    public var report: ProxyReport

    /// `{proxy, outcome, seq, logTime, error}`.
    public var json: JSONValue {
        .object([JSONMember("proxy", .string(report.proxy)), JSONMember("outcome", .string(applied ? "applied" : "rejected")),
                 JSONMember("seq", .number(String(seq))), JSONMember("logTime", .string(logTime.rfc3339)),
                 JSONMember("error", report.error.map(JSONValue.string) ?? .null)])
    }
}

extension EventLog {
    /// The proxy reports about `reload`'s version: those after the reload and before the cluster's next
    /// reload to the same version (a version can come back, e.g. when a change is undone).
    public func proxyReports(for reload: StoredReload) throws -> [ProxyReportRecord] {
        try read { db in
            let until = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM reloads WHERE cluster = ? AND version = ? AND seq > ?",
                                           arguments: [reload.cluster, reload.version, reload.seq]) ?? .max
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, log_time, type, data FROM events
                WHERE type IN ('proxy.applied', 'proxy.rejected') AND seq > ? AND seq < ?
                  AND json_extract(data, '$.cluster') = ? AND json_extract(data, '$.version') = ?
                ORDER BY seq
                """, arguments: [reload.seq, until, reload.cluster, reload.version])
            return try rows.compactMap { row in
                let seq: Seq = row[0]
                let type: String = row[2]
                let data: String = row[3]
                guard let eventType = EventType(rawValue: type) else { return nil }
                switch try EventDecoder.payload(type: eventType, data: data) {
                case .proxyApplied(let report): return ProxyReportRecord(seq: seq, logTime: Timestamp(nanosecondsSinceEpoch: row[1]), applied: true, report: report)
                case .proxyRejected(let report): return ProxyReportRecord(seq: seq, logTime: Timestamp(nanosecondsSinceEpoch: row[1]), applied: false, report: report)
                default: return nil
                }
            }
        }
    }
}
