import ArgumentParser
import RouteLedgerCore
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

    struct Why: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show why a reload happened: the events that caused it, and what changed.",
            discussion: """
                A reload is named by its id, or by its version's first hex digits (at least \
                \(ReloadFilter.minimumVersionDigits)), as a proxy's `x-server-info` header shows it (12 digits). \
                Digits only are an id when shorter than 12 and without a leading 0. When several \
                reloads reached that version (a scale-down undone), the latest is shown and the others are named.

                Examples:
                  routeledger why 812
                  routeledger why 3e37c1b04a9d
                  routeledger why 812 --json | jq '.causeEvents[].summary'
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The reload's id (see `reloads`), or its version's first hex digits.", valueName: "reload"))
        var reload: String

        @Flag(help: "Print the explanation as JSON.")
        var json = false

        func validate() throws {
            if ReloadText.reloadID(reload) == nil, let problem = ReloadFilter.versionPrefixProblem(reload) {
                throw ValidationError("\"\(reload)\" is neither a reload id nor a version: \(problem)")
            }
        }

        func run() throws {
            let log = try global.openLog(create: false)
            let id = try ReloadText.resolve(reload, in: log)
            guard let detail = try log.reloadDetail(id: id) else {
                throw InputError("no reload \(id) (the last is \(try log.reloads().last?.id ?? 0))")
            }
            if json {
                print(detail.json.formatted(pretty: true))
                return
            }
            let reload = detail.reload
            let causes = detail.causes.map { ($0, $0.summary(names: detail.names)) }
            let cluster = "cluster \(ClusterName.display(reload.cluster))"
            print("Reload \(reload.id) of \(cluster) at \(reload.logTime.rfc3339) (seq \(reload.seq))")
            print("version \(reload.previousVersion.map { String($0.prefix(12)) } ?? "(none)") → \(reload.version.prefix(12))")
            print("\nCaused by \(causes.count == 1 ? "1 event" : "\(causes.count) events"):")
            var table = Table("SEQ", "TIME", "TYPE", "WHAT")
            for (event, summary) in causes { table.add(String(event.seq), event.time.rfc3339, event.type.rawValue, summary) }
            print(table.rendered)
            print("\nWhat changed:")
            for line in DiffText.lines(reload.diff, names: detail.names) { print("  " + line) }
            print("\nProxies:")
            if detail.proxies.isEmpty { print("  none reported running it") }
            for record in detail.proxies {
                let outcome = switch record.outcome {
                case .applied: "applied"
                case .rejected: "rejected: \(record.report.error ?? "")"
                case .failed: "could not run it on its host: \(record.report.error ?? "")"
                }
                print("  \(record.report.proxy) \(outcome) (seq \(record.seq), \(record.logTime.rfc3339))")
            }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what one event did to the proxies: part of a reload, or absorbed and why.",
            discussion: """
                Example:
                  routeledger explain 11
                  -> seq 11 service.updated: absorbed: demo is in vip mode: replicas 4→6 leave upstream 10.0.2.9:8080 unchanged
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The event's position.", valueName: "seq"))
        var seq: Int64

        @Flag(help: "Print the effect as JSON.")
        var json = false

        func run() throws {
            let log = try global.openLog(create: false)
            guard let explanation = try log.explain(seq: seq) else {
                throw InputError("no event at seq \(seq) (the last is \(try log.lastSeq()))")
            }
            let event = explanation.event
            let (kind, reloads, reason) = explanation.effectParts
            if json {
                print(explanation.json.formatted(pretty: false))
                return
            }
            print("seq \(event.seq) \(event.type.rawValue): \(explanation.summary)")
            switch kind {
            case "reload": print("-> part of reload \(reloads.map(String.init).joined(separator: ", ")) (see `routeledger why \(reloads[0])`)")
            case "absorbed": print("-> absorbed: \(reason ?? "")")
            default: print("-> pending: it changed a proxy view whose settle window has not closed yet")
            }
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
