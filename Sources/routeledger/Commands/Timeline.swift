import ArgumentParser
import RouteLedgerCore
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
            let reloads = try log.reloads(ReloadFilter(host: host, cluster: cluster.map(ClusterName.parse), throughSeq: at.seq))
            var servers: [String: [String]] = [:]  // by frontend (host[path] [cluster])
            var entries: [(StoredReload, String, [String])] = []
            for reload in reloads {
                let diff = reload.diff
                let host = host.lowercased()
                for key in diff.frontendsRemoved where key.host == host {
                    servers[DiffText.frontend(key)] = []
                }
                for change in diff.upstreams where change.key.host == host {
                    let name = DiffText.frontend(change.key)
                    var set = servers[name] ?? []
                    for removed in change.removed {
                        if let i = set.firstIndex(of: removed.address) { set.remove(at: i) }
                    }
                    set += change.added.map(\.address)
                    servers[name] = set.sorted()
                }
                for name in servers.keys.sorted() where Self.touches(diff, name) {
                    entries.append((reload, name, servers[name] ?? []))
                }
            }
            if let last { entries = Array(entries.suffix(last)) }
            let matched = entries.count
            if let rows = ListLimit.rows(limit, json: json) { entries = Array(entries.prefix(rows)) }
            defer { ListLimit.noteLeftOut(matched - entries.count, "entries", more: "--last N the newest") }
            var appliedBy: [Int: [String]] = [:]
            for (reload, _, _) in entries where appliedBy[reload.id] == nil {
                appliedBy[reload.id] = try log.proxyReports(for: reload).filter(\.applied).map(\.report.proxy)
            }
            if json {
                print(JSONValue.array(entries.map { reload, name, list in
                    .object([JSONMember("reload", .number(String(reload.id))), JSONMember("seq", .number(String(reload.seq))),
                             JSONMember("logTime", .string(reload.logTime.rfc3339)), JSONMember("frontend", .string(name)),
                             JSONMember("upstreams", .array(list.map(JSONValue.string))),
                             JSONMember("appliedBy", .array((appliedBy[reload.id] ?? []).map(JSONValue.string)))])
                }).formatted(pretty: true))
                return
            }
            guard !entries.isEmpty else {
                print("No reload changed \(host).")
                return
            }
            var table = Table("LOG TIME", "RELOAD", "SEQ", "FRONTEND", "APPLIED BY", "UPSTREAMS")
            for (reload, name, list) in entries {
                let proxies = appliedBy[reload.id] ?? []
                table.add(reload.logTime.rfc3339, String(reload.id), String(reload.seq), name,
                          proxies.isEmpty ? "-" : proxies.joined(separator: ","),
                          list.isEmpty ? "(none: left out of the configuration)" : list.joined(separator: " "))
            }
            print(table.rendered)
        }

        static func touches(_ diff: ProxyDiff, _ name: String) -> Bool {
            diff.frontendsAdded.contains { DiffText.frontend($0) == name } || diff.frontendsRemoved.contains { DiffText.frontend($0) == name }
                || diff.upstreams.contains { DiffText.frontend($0.key) == name } || diff.options.contains { DiffText.frontend($0.key) == name }
        }
    }
}
