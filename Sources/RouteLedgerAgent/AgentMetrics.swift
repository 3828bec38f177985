import Foundation

/// What an agent has done, in Prometheus text: its rounds by outcome, whether its host can run nginx,
/// whether the server answers, and the version it runs. The agent serves nothing, so it writes them to
/// a file (`--metrics-file`) that node_exporter's textfile collector, or any scraper, reads.
public struct AgentMetrics: Sendable, Equatable {
    /// Rounds by outcome (`applied`, `rejected`, `reload_failed`, `nginx_unavailable`, `server_away`, `unchanged`).
    public private(set) var rounds: [String: Int] = [:]
    /// Whether the last round that fetched a version could not run it for a reason of this host.
    public private(set) var hostProblem = false
    /// Whether the server answered the last round.
    public private(set) var serverUp = false
    /// When a version was last applied (seconds since 1970).
    public private(set) var lastApplied: Double?

    /// Nothing counted yet.
    public init() {}

    /// Counts one round.
    public mutating func record(_ step: AgentStep, at time: Date) {
        rounds[Self.outcome(step), default: 0] += 1
        serverUp = true
        switch step {
        case .applied:
            hostProblem = false
            lastApplied = time.timeIntervalSince1970
        case .rejected:
            hostProblem = false
        case .reloadFailed, .nginxUnavailable:
            hostProblem = true
        case .serverAway:
            serverUp = false
        case .unchanged:
            break
        }
    }

    /// The Prometheus text exposition, with the versions the agent runs and refused as info metrics.
    public func text(running: String?, refused: String?, pendingReports: Int) -> String {
        var lines = [
            "# HELP routeledger_agent_rounds_total Agent rounds by outcome.",
            "# TYPE routeledger_agent_rounds_total counter",
        ]
        for outcome in Self.outcomes { lines.append("routeledger_agent_rounds_total{outcome=\"\(outcome)\"} \(rounds[outcome] ?? 0)") }
        lines += [
            "# HELP routeledger_agent_host_problem 1 while this host cannot test or reload nginx (never the configuration's fault).",
            "# TYPE routeledger_agent_host_problem gauge",
            "routeledger_agent_host_problem \(hostProblem ? 1 : 0)",
            "# HELP routeledger_agent_server_up 1 when the RouteLedger server answered the last round.",
            "# TYPE routeledger_agent_server_up gauge",
            "routeledger_agent_server_up \(serverUp ? 1 : 0)",
            "# HELP routeledger_agent_reports_pending Proxy reports waiting to be sent.",
            "# TYPE routeledger_agent_reports_pending gauge",
            "routeledger_agent_reports_pending \(pendingReports)",
        ]
        if let lastApplied {
            lines += [
                "# HELP routeledger_agent_last_applied_timestamp_seconds When a version was last applied.",
                "# TYPE routeledger_agent_last_applied_timestamp_seconds gauge",
                "routeledger_agent_last_applied_timestamp_seconds \(String(format: "%.3f", lastApplied))",
            ]
        }
        lines += [
            "# HELP routeledger_agent_version_info The version nginx runs (state=running) and the one it refused (state=refused).",
            "# TYPE routeledger_agent_version_info gauge",
        ]
        if let running { lines.append("routeledger_agent_version_info{state=\"running\",version=\"\(running)\"} 1") }
        if let refused { lines.append("routeledger_agent_version_info{state=\"refused\",version=\"\(refused)\"} 1") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static let outcomes = ["applied", "rejected", "reload_failed", "nginx_unavailable", "server_away", "unchanged"]

    private static func outcome(_ step: AgentStep) -> String {
        switch step {
        case .applied: "applied"
        case .rejected: "rejected"
        case .reloadFailed: "reload_failed"
        case .nginxUnavailable: "nginx_unavailable"
        case .serverAway: "server_away"
        case .unchanged: "unchanged"
        }
    }
}
