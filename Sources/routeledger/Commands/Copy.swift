import ArgumentParser
import Foundation
import RouteLedgerCore
import RouteLedgerStore

extension RouteLedger {
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a log to another database: SQLite to PostgreSQL, back, or between two of a kind.",
            discussion: """
                Events are copied in order with their ids, times, recorded times and hashes (the source's \
                hash chain is checked on the way), so both logs answer every query alike and `verify` prints \
                the same anchor on both. The target's reload records and snapshots are then rebuilt.

                The target must be empty, or hold a prefix of the source: then only the events after it are \
                copied. Running the same copy again later sends what is new (replication by hand), and an \
                interrupted copy continues where it stopped. --from and --to are file paths or \
                postgres:// URLs, as --db takes them.

                Examples:
                  routeledger copy --from routeledger.db --to postgres://routeledger@db1/routeledger
                  routeledger copy --from postgres://routeledger@db1/routeledger --to backup.db
                """)

        @Option(help: ArgumentHelp("The log to read.", valueName: "path|url"))
        var from: String

        @Option(help: ArgumentHelp("The log to write (created when missing).", valueName: "path|url"))
        var to: String

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if from == to { throw ValidationError("--from and --to name the same log") }
            if global.db != nil { throw ValidationError("copy takes --from and --to, not --db") }
        }

        func run() throws {
            let source = try global.openLog(from, create: false)
            let target = try global.openLog(to, create: true)
            let start = Date()
            let showProgress = Terminal.stderrIsTerminal
            var lastReport: Seq = 0
            let result = try target.copy(from: source) { copied, total in
                if showProgress {
                    Terminal.progress("copied \(copied) of \(total) events")
                } else if copied - lastReport >= 100_000 || copied == total {
                    // Not a terminal (a log file, CI): a line now and then.
                    FileHandle.standardError.write(Data("routeledger: copied \(copied) of \(total) events\n".utf8))
                    lastReport = copied
                }
            }
            if showProgress { Terminal.endProgress() }
            let already = result.alreadyPresent > 0 ? " after the \(result.alreadyPresent) it held" : ""
            let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
            print("copied \(result.copied) events from \(source.path) to \(target.path)\(already); last seq \(result.lastSeq), \(result.reloads) reloads rebuilt, in \(seconds) s")
        }
    }
}

extension CopyError: UserError {}
