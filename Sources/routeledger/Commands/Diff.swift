import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

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
                for line in DiffText.lines(diff, names: names) { print("  " + line) }
            }
        }
    }
}
