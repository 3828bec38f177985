import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
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
