import ArgumentParser
import Foundation
import RouteLedgerCore
import RouteLedgerStore

extension RouteLedger {
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change how reloads are recorded and how often state is snapshotted.",
            discussion: """
                --settle coalesces changes into one reload once a cluster has been quiet for that long in log \
                time (at the latest --max-wait after the first change, default ten times --settle). 0 records \
                one reload per changing event (the default). The change is appended to the log as a \
                config.changed event and takes effect from there: reloads before it, and their ids, never \
                change, and a rebuild folds the same events to the same reloads. --snapshot-every only changes \
                how often the folded state is cached (no reload or answer depends on it); it rebuilds the \
                snapshots.

                Examples:
                  routeledger config
                  routeledger config --settle 2s --max-wait 30s
                  routeledger config --snapshot-every 5000
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("Quiet time before a reload, e.g. 2s, 500ms, 1m; 0 for none.", valueName: "duration"))
        var settle: String?

        @Option(help: ArgumentHelp("Longest a change waits for its reload.", valueName: "duration"))
        var maxWait: String?

        @Option(help: ArgumentHelp("Take a snapshot of the folded state every N events (default 10000).", valueName: "N"))
        var snapshotEvery: Int?

        func validate() throws {
            for (name, value) in [("--settle", settle), ("--max-wait", maxWait)] {
                if let value, DurationText.nanoseconds(value) == nil {
                    throw ValidationError("\(name) \"\(value)\" is not a duration (e.g. 2s, 500ms, 1m, 0)")
                }
            }
            if settle == nil && maxWait != nil { throw ValidationError("--max-wait needs --settle") }
            if let snapshotEvery, snapshotEvery < 1 { throw ValidationError("--snapshot-every must be 1 or more") }
        }

        func run() throws {
            let log = try global.openLog(create: settle != nil || snapshotEvery != nil)
            if let snapshotEvery {
                try log.setSnapshotInterval(snapshotEvery)
                print("snapshots every \(snapshotEvery) events; rebuilt")
            }
            if let settle {
                let settings = ReloadSettings(settle: DurationText.nanoseconds(settle)!, maxWait: maxWait.flatMap(DurationText.nanoseconds))
                let result = try log.setReloadSettings(settings)
                print("recorded config.changed at seq \(result.lastSeq): \(settings) from here on; the \(try log.reloads().count) reloads before it keep their ids")
            } else if snapshotEvery == nil {
                print("snapshots every \(try log.snapshotInterval()) events")
                let settings = try log.reloadSettings()
                print(settings.settle == 0 ? "settle 0: one reload per changing event"
                      : "settle \(DurationText.format(settings.settle)), max wait \(DurationText.format(settings.maxWait))")
            }
        }
    }
}
