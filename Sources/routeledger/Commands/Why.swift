import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
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
}
