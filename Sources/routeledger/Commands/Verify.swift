import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
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

                It prints the last event's hash as an anchor (SEQ:HASH). Keep it outside the database: a \
                later `verify --expect SEQ:HASH` shows that the log still holds it, which the chain alone \
                cannot (an end cut off, a whole log rewritten); exit 1 naming the anchor when it does not.

                Examples:
                  routeledger verify
                  routeledger verify --json | jq -r '"\\(.lastSeq):\\(.lastHash)"'
                  routeledger verify --expect 4512:<the 64 hex digits it printed>
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print the report as JSON.")
        var json = false

        @Option(name: .customLong("expect"), help: ArgumentHelp(
            "An anchor: the hash the event at SEQ must have (64 hex digits), as an earlier verify printed it. Repeatable.",
            discussion: "A hash chain alone cannot show that its end was cut off or that the whole log was rewritten; a hash recorded elsewhere (a ticket, a backup's label) can.",
            valueName: "seq:hash"))
        var anchors: [String] = []

        func validate() throws {
            for anchor in anchors where LogAnchor(anchor) == nil {
                throw ValidationError("--expect \"\(anchor)\" is not SEQ:HASH (a position from 1, a colon, and the 64 hex digits of a hash)")
            }
        }

        func run() throws {
            let log = try global.openLog(create: false)
            let report = try log.verify(anchors: anchors.compactMap(LogAnchor.init))
            let rules = try log.rulesVersion()
            if json {
                print(JSONValue.object([
                    JSONMember("intact", .bool(report.isIntact)),
                    JSONMember("events", .number(String(report.events))),
                    JSONMember("lastSeq", .number(String(report.lastSeq))),
                    JSONMember("firstBadSeq", report.firstBad.map { .number(String($0.seq)) } ?? .null),
                    JSONMember("reason", report.firstBad.map { .string($0.reason) } ?? .null),
                    JSONMember("lastHash", report.lastHash.map { .string($0) } ?? .null),
                    JSONMember("failedAnchor", report.failedAnchor.map { failed in .object([
                        JSONMember("seq", .number(String(failed.anchor.seq))), JSONMember("hash", .string(failed.anchor.hash)),
                        JSONMember("reason", .string(failed.reason)),
                    ]) } ?? .null),
                    JSONMember("rulesVersion", .number(String(rules))),
                ]).formatted(pretty: false))
            } else if report.isIntact {
                print("ok: \(report.events) events, hash chain intact through seq \(report.lastSeq); reload records follow routing rules v\(rules)")
                if let hash = report.lastHash { print("anchor: \(report.lastSeq):\(hash)") }
                if !anchors.isEmpty { print("held: " + anchors.compactMap(LogAnchor.init).map { String($0.seq) }.joined(separator: ", ")) }
            }
            if let bad = report.firstBad {
                Terminal.error("verify failed at seq \(bad.seq): \(bad.reason)")
                throw ExitCode(1)
            }
            if let failed = report.failedAnchor {
                Terminal.error("verify failed: anchor \(failed.anchor.seq):\(failed.anchor.hash.prefix(12))…: \(failed.reason)")
                throw ExitCode(1)
            }
        }
    }
}
