import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
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
                    print("        == reload \(reload.id) (\(cluster), causes \(ReloadText.causes(reload.causes))): \(DiffText.summary(reload.diff, names: names))")
                }
            }
        }
    }
}
