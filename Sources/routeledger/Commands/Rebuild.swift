import ArgumentParser
import Foundation
import RouteLedgerCore
import RouteLedgerStore

extension RouteLedger {
    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the projections (reload records and snapshots) from the log.",
            discussion: """
                Projections are derived from the events and written in the same transaction as the events \
                they follow; a rebuild produces identical records. With --verify nothing is written: the log \
                is replayed and compared with the stored records, and the first difference is reported \
                (exit 1). Both say which version of the routing rules the records follow; a log whose \
                records follow another version is rebuilt when it is opened, with a note on stderr.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Compare a replay with the stored records instead of rewriting them.")
        var verify = false

        func run() throws {
            let log = try global.openLog(create: false)
            if verify {
                if let difference = try log.verifyProjections() {
                    Terminal.error("projections differ from a replay of the log: \(difference)")
                    throw ExitCode(1)
                }
                print("ok: \(try log.reloads().count) reloads match a replay of \(try log.lastSeq()) events with routing rules v\(try log.rulesVersion())")
                return
            }
            let start = Date()
            let count = try log.rebuild()
            print(String(format: "rebuilt %d reloads from %lld events in %.2f s with routing rules v%d", count, try log.lastSeq(),
                         Date().timeIntervalSince(start), try log.rulesVersion()))
        }
    }
}
