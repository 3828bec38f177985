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
        try read { connection in
            let until = try connection.int("SELECT min(seq) FROM reloads WHERE cluster = ? AND version = ? AND seq > ?",
                                           .text(reload.cluster), .text(reload.version), .integer(reload.seq)) ?? .max
            // The partial index finds the proxy reports; their cluster and version are read from the payload here,
            // in Swift, so that both engines answer alike (SQLite's json_extract has no PostgreSQL twin).
            var records: [ProxyReportRecord] = []
            try connection.forEach("""
                SELECT seq, log_time, type, data FROM events
                WHERE type IN ('proxy.applied', 'proxy.rejected') AND seq > ? AND seq < ?
                ORDER BY seq
                """, [.integer(reload.seq), .integer(until)]) { row in
                let seq = try row.int(0)
                let logTime = Timestamp(nanosecondsSinceEpoch: try row.int(1))
                guard let type = EventType(rawValue: try row.text(2)) else { return }
                let record: ProxyReportRecord
                switch try EventDecoder.payload(type: type, data: try row.text(3)) {
                case .proxyApplied(let report): record = ProxyReportRecord(seq: seq, logTime: logTime, applied: true, report: report)
                case .proxyRejected(let report): record = ProxyReportRecord(seq: seq, logTime: logTime, applied: false, report: report)
                default: return
                }
                if record.report.cluster == reload.cluster && record.report.version == reload.version { records.append(record) }
            }
            return records
        }
    }
}
