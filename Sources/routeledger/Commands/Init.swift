import ArgumentParser
import Foundation
import RouteLedgerStore

extension RouteLedger {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the log: a SQLite file, or the tables in a PostgreSQL database (appending creates it too).",
            discussion: "Safe to run on an existing RouteLedger database: it is opened, checked and left as it is.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            do {
                let log = try global.openLog(create: false)
                print("\(log.path) already exists: \(try log.lastSeq()) events, schema up to date")
            } catch StoreError.missingDatabase {
                let log = try global.openLog(create: true)
                print("created \(log.path)")
            }
        }
    }
}
