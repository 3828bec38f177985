import Prometheus
import RouteLedgerCore
import Synchronization

/// The server's Prometheus metrics, served at `GET /metrics` in the text exposition format.
public final class ServerMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry = PrometheusCollectorRegistry()
    private let eventsAppended: Counter
    private let appendDuration: DurationHistogram
    private let watchers: Gauge
    private let logSeq: Gauge
    private let reloadCounters = Mutex<[String: Counter]>([:])

    /// Creates the metrics.
    public init() {
        eventsAppended = registry.makeCounter(descriptor: Self.name("events_appended", unit: "total",
                                                                    help: "Events appended through this server (duplicates not counted)."))
        appendDuration = registry.makeDurationHistogram(
            descriptor: Self.name("append_duration", unit: "seconds",
                                  help: "Time to validate and durably append one POST /v1/events body, projections included."),
            buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)])
        watchers = registry.makeGauge(descriptor: Self.name("watchers", unit: "", help: "Long-polls waiting for a new configuration."))
        logSeq = registry.makeGauge(descriptor: Self.name("log_seq", unit: "", help: "The last log position the proxy feed has folded."))
    }

    static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "routeledger", metricName: metric, unitName: unit, helpText: help)
    }

    /// Records one append.
    public func appended(_ count: Int, in duration: Duration) {
        eventsAppended.increment(by: Int64(count))
        appendDuration.record(duration)
    }

    /// Adds `count` reloads of `cluster` to `routeledger_reloads_total{cluster}`.
    public func countReloads(_ count: Int, cluster: String) {
        let counter = reloadCounters.withLock { counters in
            if let existing = counters[cluster] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.name("reloads", unit: "total", help: "Reloads in the log per service cluster (\"\" is the default cluster)."),
                labels: [("cluster", cluster)])
            counters[cluster] = made
            return made
        }
        counter.increment(by: Int64(count))
    }

    func setWatchers(_ count: Int) { watchers.set(Double(count)) }

    func setLogSeq(_ seq: Seq) { logSeq.set(Double(seq)) }

    /// The exposition text.
    public func text() -> String { registry.emitToString() }
}
