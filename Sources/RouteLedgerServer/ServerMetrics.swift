import Prometheus
import RouteLedgerCore
import RouteLedgerStore
import Synchronization

/// The server's Prometheus metrics, served at `GET /metrics` in the text exposition format.
public final class ServerMetrics: Sendable {
    /// Every metric is named `routeledger_…`; the per-cluster reload counters and the listener's metrics join
    /// it on first use.
    public let registry = PrometheusCollectorRegistry()
    private let eventsAppended: Counter
    private let appendDuration: DurationHistogram
    private let watchers: Gauge
    private let logSeq: Gauge
    private let databaseRoundTrip: Gauge
    private let reloadCounters = Mutex<[String: Counter]>([:])
    private let listener = Mutex<(up: Gauge, reconnects: Counter, counted: Int)?>(nil)
    private let watched = Mutex<AppendListener?>(nil)

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
        databaseRoundTrip = registry.makeGauge(descriptor: Self.name("database_round_trip", unit: "seconds",
                                                                     help: "The last measured round trip of a query for the log's head."))
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

    func setDatabaseRoundTrip(_ duration: Duration) {
        databaseRoundTrip.set(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// Reports `listener`'s state (PostgreSQL) at every scrape: `routeledger_listener_up` and
    /// `routeledger_listener_reconnects_total`.
    func watch(_ listener: AppendListener) {
        watched.withLock { $0 = listener }
        setListener(up: listener.isListening, reconnects: listener.reconnects)
    }

    private func setListener(up: Bool, reconnects: Int) {
        listener.withLock { state in
            if state == nil {
                state = (registry.makeGauge(descriptor: Self.name("listener_up", unit: "",
                                                                  help: "1 while the server listens for appends (PostgreSQL LISTEN); 0 while it polls.")),
                         registry.makeCounter(descriptor: Self.name("listener_reconnects", unit: "total",
                                                                    help: "Times the append listener listened again after losing its connection.")),
                         0)
            }
            state!.up.set(Double(up ? 1 : 0))
            if reconnects > state!.counted {
                state!.reconnects.increment(by: Int64(reconnects - state!.counted))
                state!.counted = reconnects
            }
        }
    }

    /// The Prometheus text exposition, with the append listener's state read at this moment.
    public func text() -> String {
        if let listener = watched.withLock({ $0 }) { setListener(up: listener.isListening, reconnects: listener.reconnects) }
        return registry.emitToString()
    }
}
