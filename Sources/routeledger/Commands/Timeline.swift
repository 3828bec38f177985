import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
    struct Timeline: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the upstream servers of one host over time, with the reload that changed them.",
            discussion: """
                Examples:
                  routeledger timeline --host shop.local
                  routeledger timeline --host shop.local --last 20
                """)

        @OptionGroup var global: GlobalOptions

        @OptionGroup var point: PointOptions

        @Option(help: ArgumentHelp("The host.", valueName: "host"))
        var host: String

        @Option(help: ArgumentHelp("Only this service cluster (\"_\" is the default cluster).", valueName: "name"))
        var cluster: String?

        @Option(help: ArgumentHelp("Only the newest N entries.", valueName: "N"))
        var last: Int?

        @Option(help: ArgumentHelp(ListLimit.help, valueName: "N"))
        var limit: Int?

        @Flag(help: "Print the timeline as JSON.")
        var json = false

        func validate() throws {
            if let last, last < 1 { throw ValidationError("--last must be 1 or more") }
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        }

        func run() throws {
            let log = try global.openLog(create: false)
            let at = try point.resolve(in: log)
            var entries = try log.frontendServers(host: host, cluster: cluster.map(ClusterName.parse), through: at.seq)
            if let last { entries = Array(entries.suffix(last)) }
            let matched = entries.count
            if let rows = ListLimit.rows(limit, json: json) { entries = Array(entries.prefix(rows)) }
            defer { ListLimit.noteLeftOut(matched - entries.count, "entries", more: "--last N the newest") }
            // As of the point: the proxies that had applied each version by then.
            let appliedBy = try log.proxyReports(for: entries.map(\.reload), through: at.seq)
                .mapValues { $0.filter(\.applied).map(\.report.proxy) }
            if json {
                print(JSONValue.array(entries.map { entry in
                    .object([JSONMember("reload", .number(String(entry.reload.id))), JSONMember("seq", .number(String(entry.reload.seq))),
                             JSONMember("logTime", .string(entry.reload.logTime.rfc3339)), JSONMember("frontend", .string(entry.list.frontend)),
                             JSONMember("upstreams", .array(entry.list.servers.map(JSONValue.string))),
                             JSONMember("appliedBy", .array((appliedBy[entry.reload.id] ?? []).map(JSONValue.string)))])
                }).formatted(pretty: true))
                return
            }
            guard !entries.isEmpty else {
                print("No reload changed \(host).")
                return
            }
            var table = Table("LOG TIME", "RELOAD", "SEQ", "FRONTEND", "APPLIED BY", "UPSTREAMS")
            for entry in entries {
                let (reload, name, list) = (entry.reload, entry.list.frontend, entry.list.servers)
                let proxies = appliedBy[reload.id] ?? []
                table.add(reload.logTime.rfc3339, String(reload.id), String(reload.seq), name,
                          proxies.isEmpty ? "-" : proxies.joined(separator: ","),
                          list.isEmpty ? "(none: left out of the configuration)" : list.joined(separator: " "))
            }
            print(table.rendered)
        }
    }
}
