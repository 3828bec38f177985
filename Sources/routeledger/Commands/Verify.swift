import ArgumentParser
import RouteLedgerCore
import RouteLedgerStore

extension RouteLedger {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the log's integrity and hash chain.",
            discussion: """
                Checks that positions run gapless from 1, log time never goes back, every payload is valid \
                for its type, and each event's SHA-256 matches its content chained over the one before. \
                Exit 0 when intact; exit 1 naming the first bad seq otherwise. It also says which version of \
                the routing rules the reload records follow (opening a log whose records follow another \
                version rebuilds them first, with a note on stderr).
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            let log = try global.openLog(create: false)
            let report = try log.verify()
            let rules = try log.rulesVersion()
            if json {
                print(JSONValue.object([
                    JSONMember("intact", .bool(report.isIntact)),
                    JSONMember("events", .number(String(report.events))),
                    JSONMember("lastSeq", .number(String(report.lastSeq))),
                    JSONMember("firstBadSeq", report.firstBad.map { .number(String($0.seq)) } ?? .null),
                    JSONMember("reason", report.firstBad.map { .string($0.reason) } ?? .null),
                    JSONMember("rulesVersion", .number(String(rules))),
                ]).formatted(pretty: false))
            } else if report.isIntact {
                print("ok: \(report.events) events, hash chain intact through seq \(report.lastSeq); reload records follow routing rules v\(rules)")
            }
            if let bad = report.firstBad {
                Terminal.error("verify failed at seq \(bad.seq): \(bad.reason)")
                throw ExitCode(1)
            }
        }
    }
}
