import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
    struct Routes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the routing at a point in the log (default: now).",
            discussion: """
                Frontends (host and context root) with their upstreams and each upstream's share of requests, \
                the default backend of each service cluster, and diagnostics (ignored or invalid labels, \
                frontends left out).

                Examples:
                  routeledger routes
                  routeledger routes --at 2026-11-27T03:12:00Z --cluster edge
                  routeledger routes --json | jq -r '.frontends[] | "\\(.host) \\(.upstreams | length)"'
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var point: PointOptions

        @Option(help: ArgumentHelp("Only this service cluster (\"_\" is the default cluster).", valueName: "name"))
        var cluster: String?

        @Option(help: ArgumentHelp("Only the frontends of this host.", valueName: "host"))
        var host: String?

        @Option(help: ArgumentHelp("Only what this service takes part in: its frontends with its upstreams, its default backend, its diagnostics.", valueName: "name"))
        var service: String?

        @Flag(help: "Print the routing as JSON.")
        var json = false

        func run() throws {
            let log = try global.openLog(create: false)
            let at = try point.resolve(in: log)
            let projection = try log.projection(through: at)
            let names = NameBook(projection.state)
            var view = projection.view
            if let cluster { view = view.filtered(cluster: ClusterName.parse(cluster)) }
            if let host { view = view.filtered(host: host) }
            if let service { view = view.filtered(service: service) }
            if json {
                print(view.json(seq: at.seq, logTime: at.logTime, names: names).formatted(pretty: true))
            } else {
                print(RoutingTable.render(view, at: try point.describe(at, in: log), names: names, partial: host != nil || service != nil))
            }
        }
    }
}
