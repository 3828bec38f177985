import ArgumentParser
import Foundation
import RouteLedgerStore

extension RouteLedger {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the database (appending creates it too).",
            discussion: "Safe to run on an existing RouteLedger database: it is opened, checked and left as it is.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let existed = FileManager.default.fileExists(atPath: global.databasePath)
            let log = try global.openLog(create: true)
            let last = try log.lastSeq()
            if existed {
                print("\(log.path) already exists: \(last) events, schema up to date")
            } else {
                print("created \(log.path)")
            }
        }
    }
}
