import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
    struct Reloads: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List proxy reloads: when each cluster's configuration version changed, and what changed.",
            discussion: """
                A reload is recorded each time a service cluster's proxy configuration (its frontends, \
                upstream servers, options, default backend and networks) changes. Events that change nothing \
                a proxy sees are absorbed; `explain SEQ` says why.

                Examples:
                  routeledger reloads --host demo.local
                  routeledger reloads --since 2026-11-27T03:00:00Z --until 2026-11-27T03:30:00Z
                  routeledger reloads --since 15m
                  routeledger reloads --last 20
                  routeledger reloads --version 3e37c1      # the version a proxy's x-server-info header shows
                  routeledger reloads --json | jq '.[] | select(.causes | length > 1) | .id'
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var point: PointOptions

        @Option(help: ArgumentHelp("Only reloads at or after this time (RFC 3339, or a duration ago such as 15m).", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Only reloads at or before this time (RFC 3339, or a duration ago).", valueName: "time"))
        var until: String?

        @Option(help: ArgumentHelp("Only the newest N reloads (after the other filters).", valueName: "N"))
        var last: Int?

        @Option(help: ArgumentHelp("Only reloads that changed this host.", valueName: "host"))
        var host: String?

        @Option(help: ArgumentHelp("Only this service cluster (\"_\" is the default cluster).", valueName: "name"))
        var cluster: String?

        @Option(help: ArgumentHelp("Only reloads to a version starting with these hex digits.", valueName: "prefix"))
        var version: String?

        @Option(help: ArgumentHelp(ListLimit.help, valueName: "N"))
        var limit: Int?

        @Flag(help: "Print the reloads as JSON (with `names` for the networks of each diff).")
        var json = false

        func validate() throws {
            for (name, value) in [("--since", since), ("--until", until)] {
                if let value, TimeArgument.parse(value) == nil { throw ValidationError(TimeArgument.problem(name, value)) }
            }
            if let last, last < 1 { throw ValidationError("--last must be 1 or more") }
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
            if let version, let problem = ReloadFilter.versionPrefixProblem(version) { throw ValidationError("--version \(problem)") }
        }

        func run() throws {
            let log = try global.openLog(create: false)
            let at = try point.resolve(in: log)
            var reloads = try log.reloads(ReloadFilter(
                since: since.flatMap { TimeArgument.parse($0) }, until: until.flatMap { TimeArgument.parse($0) },
                host: host, cluster: cluster.map(ClusterName.parse), throughSeq: at.seq, versionPrefix: version))
            if let last { reloads = Array(reloads.suffix(last)) }
            let matched = reloads.count
            if let rows = ListLimit.rows(limit, json: json) { reloads = Array(reloads.prefix(rows)) }
            let names = try log.names(for: reloads)
            if json {
                print(JSONValue.array(reloads.map { $0.json(names: names) }).formatted(pretty: true))
            } else if reloads.isEmpty {
                print("No reloads.")
            } else {
                var table = Table("ID", "LOG TIME", "CLUSTER", "SEQ", "CAUSES", "VERSION", "WHAT CHANGED")
                for reload in reloads {
                    table.add(String(reload.id), reload.logTime.rfc3339, RoutingTable.clusterName(reload.cluster), String(reload.seq),
                              ReloadText.causes(reload.causes), String(reload.version.prefix(12)),
                              DiffText.summary(reload.diff, names: names))
                }
                print(table.rendered)
            }
            ListLimit.noteLeftOut(matched - reloads.count, "reloads", more: "--last N the newest")
        }
    }
}

/// Words shared by the reload commands.
enum ReloadText {
    /// `argument` as a reload id: digits only, fewer than a proxy header's 12 and no leading 0 (else a version).
    static func reloadID(_ argument: String) -> Int? {
        guard argument.count < 12, argument.first != "0", argument.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(argument)
    }

    /// The reload `argument` names: an id as it is, a version prefix as the latest reload to that version.
    static func resolve(_ argument: String, in log: EventLog) throws -> Int {
        if let id = reloadID(argument) { return id }
        let matches = try log.reloads(ReloadFilter(versionPrefix: argument))
        guard let latest = matches.last else { throw InputError("no reload reached a version starting with \(argument)") }
        let versions = Set(matches.map(\.version))
        guard versions.count == 1 else {
            let listed = versions.sorted().prefix(5).map { String($0.prefix(16)) }.joined(separator: ", ")
            throw InputError("version prefix \(argument) matches \(versions.count) versions (\(listed)); give more digits")
        }
        if matches.count > 1 {
            let others = matches.dropLast().map { String($0.id) }.joined(separator: ", ")
            Terminal.note("version \(latest.version.prefix(12)) was also reached by reload\(matches.count > 2 ? "s" : "") \(others); showing the latest, \(latest.id)")
        }
        return latest.id
    }


    /// `7` or `5-9 (5)`: the causes compactly.
    static func causes(_ seqs: [Seq]) -> String {
        guard let first = seqs.first, let last = seqs.last else { return "-" }
        if seqs.count == 1 { return String(first) }
        if last - first + 1 == Seq(seqs.count) { return "\(first)-\(last)" }
        return "\(first)…\(last) (\(seqs.count))"
    }
}
