import ArgumentParser
import RouteLedgerCore
import RouteLedgerStore

/// A point given as a position (`812`) or a time (`2026-11-27T03:12:00Z`).
struct PointArgument: ExpressibleByArgument {
    enum Kind { case seq(Int64), time(Timestamp) }
    let kind: Kind

    init?(argument: String) {
        if let seq = Int64(argument), seq >= 0 { kind = .seq(seq) } else if let time = TimeArgument.parse(argument) { kind = .time(time) } else { return nil }
    }

    func resolve(in log: EventLog) throws -> LogPoint {
        switch kind {
        case .seq(let seq): try log.point(seq: seq)
        case .time(let time): try log.point(at: time)
        }
    }
}

/// `--from A --to B`: a window of the log, the same for `diff` and `replay`: the events from A through B,
/// both included. A seq is that event; a time takes the events whose log time is within it.
struct RangeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The window's start, included: a seq or an RFC 3339 time.", valueName: "A"))
    var from: PointArgument

    @Option(help: ArgumentHelp("The window's end, included: a seq or an RFC 3339 time.", valueName: "B"))
    var to: PointArgument

    /// The positions of the window's first and last events; `first > last` for a window holding none (one
    /// after the log, or between two events).
    func window(in log: EventLog) throws -> (first: Seq, last: Seq) {
        let first: Seq
        switch from.kind {
        case .seq(let seq): first = max(1, try log.point(seq: seq).seq)
        case .time(let time): first = try log.seq(atOrBefore: Timestamp(nanosecondsSinceEpoch: time.nanosecondsSinceEpoch - 1)) + 1
        }
        let last = try to.resolve(in: log).seq
        if case .seq = from.kind, case .seq = to.kind, first > last {
            throw InputError("--from (seq \(first)) is after --to (seq \(last))")
        }
        if case .time(let a) = from.kind, case .time(let b) = to.kind, a > b {
            throw InputError("--from (\(a.rfc3339)) is after --to (\(b.rfc3339))")
        }
        return (first, last)
    }
}

extension RouteLedger {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what changed in the proxy configurations between two points of the log.",
            discussion: """
                The change made by the events from A through B, both included (the same window as \
                `replay`): the configurations before event A against those after event B. A and B are \
                positions (seq) or RFC 3339 times (a time window takes the events whose log time is in it).

                Examples:
                  routeledger diff --from 100 --to 250
                  routeledger diff --from 2026-11-27T03:00:00Z --to 2026-11-27T03:15:00Z --json
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var range: RangeOptions

        @Flag(help: "Print the change as JSON.")
        var json = false

        func run() throws {
            let log = try global.openLog(create: false)
            let (first, last) = try range.window(in: log)
            let (start, end) = (first - 1, max(first - 1, last))
            let views = try log.proxyViews(at: [start, end])
            let before = views[start] ?? [], after = views[end] ?? []
            let clusters = Set(before.map(\.cluster)).union(after.map(\.cluster)).sorted()
            let diffs: [(String, ProxyDiff)] = clusters.map { cluster in
                (cluster, ProxyDiff(from: before.first { $0.cluster == cluster } ?? ProxyView(cluster: cluster),
                                    to: after.first { $0.cluster == cluster } ?? ProxyView(cluster: cluster)))
            }.filter { !$0.1.isEmpty }
            if json {
                print(JSONValue.object([
                    JSONMember("from", .number(String(first))), JSONMember("to", .number(String(last))),
                    JSONMember("clusters", .array(diffs.map { cluster, diff in
                        .object([JSONMember("cluster", .string(cluster)), JSONMember("diff", diff.json)])
                    })),
                ]).formatted(pretty: true))
                return
            }
            print(first > last ? "No events in that window." : "Events \(first) through \(last):")
            if diffs.isEmpty && first <= last { print("no change to any proxy configuration") }
            let names = diffs.isEmpty ? NameBook() : try log.names(after: start, through: end)
            for (cluster, diff) in diffs {
                print("cluster \(ClusterName.display(cluster)):")
                for line in DiffText.lines(diff.json, names: names) { print("  " + line) }
            }
        }
    }

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
                for part in ["frontendsRemoved"] {
                    for frontend in diff[part]?.arrayValue ?? [] where frontend["host"]?.stringValue == host.lowercased() {
                        servers[Self.name(frontend)] = []
                    }
                }
                for change in diff["upstreams"]?.arrayValue ?? [] where change["host"]?.stringValue == host.lowercased() {
                    let name = Self.name(change)
                    var set = servers[name] ?? []
                    for removed in change["removed"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                        if let i = set.firstIndex(of: removed) { set.remove(at: i) }
                    }
                    set += change["added"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    servers[name] = set.sorted()
                }
                for name in servers.keys.sorted() where Self.touches(reload.diff, name, host) {
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

        static func name(_ value: JSONValue) -> String {
            let path = value["path"]?.stringValue ?? "/", cluster = value["cluster"]?.stringValue ?? ""
            return (value["host"]?.stringValue ?? "") + (path == "/" ? "" : path) + (cluster.isEmpty ? "" : " [\(cluster)]")
        }

        static func touches(_ diff: JSONValue, _ name: String, _ host: String) -> Bool {
            for part in ["frontendsAdded", "frontendsRemoved", "upstreams", "options"] {
                if diff[part]?.arrayValue?.contains(where: { self.name($0) == name }) == true { return true }
            }
            return false
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tell the story of a range of the log: each event, its effect, each reload.",
            discussion: """
                For an incident review: what happened between two points, and what each event did to the \
                proxies: the events from A through B, both included (the same window as `diff`). A and B \
                are positions or RFC 3339 times (a time window takes the events whose log time is in it).

                Examples:
                  routeledger replay --from 2026-11-27T03:10:00Z --to 2026-11-27T03:13:00Z
                  routeledger replay --from 800 --to 815 --json | jq '.[] | select(.effect == "reload")'
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var range: RangeOptions

        @Flag(help: "Print the story as JSON.")
        var json = false

        func run() throws {
            let log = try global.openLog(create: false)
            let (first, last) = try range.window(in: log)
            let events = first <= last ? try log.replay(range: first...last) : []
            if events.isEmpty && !json {
                print("No events in that window.")
                return
            }
            let names = try log.names(after: first - 1, through: last)
            if json {
                print(JSONValue.array(events.map { replayed in
                    let (kind, reloads, reason) = EventEffect.parts(replayed.effect)
                    return .object([
                        JSONMember("seq", .number(String(replayed.event.seq))), JSONMember("type", .string(replayed.event.type.rawValue)),
                        JSONMember("logTime", .string(replayed.event.logTime.rfc3339)),
                        JSONMember("summary", .string(replayed.event.summary(names: names))),
                        JSONMember("names", replayed.event.namesJSON(names)),
                        JSONMember("effect", .string(kind)), JSONMember("reloads", .array(reloads.map { .number(String($0)) })),
                        JSONMember("reason", reason.map(JSONValue.string) ?? .null),
                        JSONMember("reloadsRecorded", .array(replayed.reloads.map(\.json))),
                    ])
                }).formatted(pretty: true))
                return
            }
            for replayed in events {
                let event = replayed.event
                print("seq \(event.seq)  \(event.logTime.rfc3339)  \(event.summary(names: names))")
                let (kind, reloads, reason) = EventEffect.parts(replayed.effect)
                switch kind {
                case "reload": print("        -> part of reload \(reloads.map(String.init).joined(separator: ", "))")
                case "absorbed": print("        -> absorbed: \(reason ?? "")")
                default: print("        -> pending: \(reason ?? "")")
                }
                for reload in replayed.reloads {
                    let cluster = "cluster \(ClusterName.display(reload.cluster))"
                    print("        == reload \(reload.id) (\(cluster), causes \(ReloadText.causes(reload.causes))): \(DiffText.summary(reload.diff.json, names: names))")
                }
            }
        }
    }
}
