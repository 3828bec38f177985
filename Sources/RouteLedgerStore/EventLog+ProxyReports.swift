import RouteLedgerCore
import RouteLedgerJSON

/// A proxy's report that it ran a configuration version, refused it, or could not run it on its host.
public struct ProxyReportRecord: Sendable, Hashable {
    /// What the proxy reported.
    public enum Outcome: String, Sendable, Hashable {
        /// `proxy.applied`: it runs the version.
        case applied
        /// `proxy.rejected`: nginx refused the configuration.
        case rejected
        /// `proxy.failed`: its host could not run the version (nginx missing, not allowed, a failed reload).
        case failed
    }

    /// The report's position.
    public var seq: Seq
    /// Its log time.
    public var logTime: Timestamp
    public var outcome: Outcome
    public var report: ProxyReport

    /// Whether the proxy runs the version.
    public var applied: Bool { outcome == .applied }

    /// `{proxy, outcome, seq, logTime, error}`.
    public var json: JSONValue {
        .object([JSONMember("proxy", .string(report.proxy)), JSONMember("outcome", .string(outcome.rawValue)),
                 JSONMember("seq", .number(String(seq))), JSONMember("logTime", .string(logTime.rfc3339)),
                 JSONMember("error", report.error.map(JSONValue.string) ?? .null)])
    }
}

extension EventLog {
    /// The proxy reports about `reload`'s version: those after the reload and before the cluster's next
    /// reload to the same version (a version can come back, e.g. when a change is undone).
    public func proxyReports(for reload: StoredReload) throws -> [ProxyReportRecord] {
        try proxyReports(for: [reload])[reload.id] ?? []
    }

    /// The proxy reports about each reload's version (``proxyReports(for:)-(StoredReload)``), by reload id,
    /// reading the reports after the earliest of them once: a timeline asks for many reloads. With
    /// `through`, only the reports up to that position (a point-in-time query's).
    ///
    /// The reports are found first (the partial index on their type); only when some name a reload's
    /// version is the next reload to it looked for, among the reloads up to the last of them (by position,
    /// the `reloads_seq` index). No index on the version: its entries would go in hash order, and every
    /// append's reloads would rewrite as many of its pages (migration v9 dropped it; BENCHMARKS.md).
    public func proxyReports(for reloads: [StoredReload], through: Seq = .max) throws -> [Int: [ProxyReportRecord]] {
        guard let earliest = reloads.map(\.seq).min() else { return [:] }
        struct Version: Hashable {
            var cluster: String
            var version: String
        }
        let wanted = Set(reloads.map { Version(cluster: $0.cluster, version: $0.version) })
        return try read { connection in
            // Their cluster and version are read from the payload here, in Swift, so that both engines
            // answer alike (SQLite's json_extract has no PostgreSQL twin).
            var reports: [Version: [ProxyReportRecord]] = [:]
            try connection.forEach("""
                SELECT seq, log_time, type, data FROM events
                WHERE type IN ('proxy.applied', 'proxy.rejected', 'proxy.failed') AND seq > ? AND seq <= ?
                ORDER BY seq
                """, [.integer(earliest), .integer(through)]) { row in
                let seq = try row.int(0)
                let logTime = Timestamp(nanosecondsSinceEpoch: try row.int(1))
                guard let type = EventType(rawValue: try row.text(2)) else { return }
                let record: ProxyReportRecord
                switch try EventDecoder.payload(type: type, data: try row.text(3)) {
                case .proxyApplied(let report): record = ProxyReportRecord(seq: seq, logTime: logTime, outcome: .applied, report: report)
                case .proxyRejected(let report): record = ProxyReportRecord(seq: seq, logTime: logTime, outcome: .rejected, report: report)
                case .proxyFailed(let report): record = ProxyReportRecord(seq: seq, logTime: logTime, outcome: .failed, report: report)
                default: return
                }
                let version = Version(cluster: record.report.cluster, version: record.report.version)
                if wanted.contains(version) { reports[version, default: []].append(record) }
            }
            var result: [Int: [ProxyReportRecord]] = [:]
            for reload in reloads where result[reload.id] == nil {
                let after = (reports[Version(cluster: reload.cluster, version: reload.version)] ?? []).filter { $0.seq > reload.seq }
                guard let last = after.last else {
                    result[reload.id] = []
                    continue
                }
                let until = try connection.int("SELECT min(seq) FROM reloads WHERE seq > ? AND seq < ? AND cluster = ? AND version = ?",
                                               .integer(reload.seq), .integer(last.seq), .text(reload.cluster), .text(reload.version))
                result[reload.id] = until.map { until in after.filter { $0.seq < until } } ?? after
            }
            return result
        }
    }
}
