import Foundation
import Testing

/// RouteLedgerCore does no I/O, reads no clock and makes no random ids: time and ids arrive inside events.
@Suite("RouteLedgerCore stays pure")
struct CorePurityTests {
    static let coreFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/RouteLedgerCore")

    /// Modules that do storage, networking, files, clocks or logging.
    static let forbiddenModules = ["Foundation", "FoundationEssentials", "FoundationNetworking", "GRDB", "GRDBSQLite",
                                   "SQLite3", "Glibc", "Darwin", "Dispatch", "Logging", "Hummingbird", "AsyncHTTPClient"]
    /// Calls that read the clock, the file system, the environment or randomness.
    static let forbiddenCalls = ["FileManager", "Date()", "ProcessInfo", ".random(", "UUID()", "clock_gettime", "fopen("]

    static func sources() throws -> [(name: String, text: String)] {
        let files = FileManager.default.enumerator(atPath: coreFolder.path)?.compactMap { $0 as? String } ?? []
        return try files.filter { $0.hasSuffix(".swift") }.sorted().map {
            ($0, try String(contentsOf: coreFolder.appendingPathComponent($0), encoding: .utf8))
        }
    }

    @Test("the core's sources are found")
    func sourcesExist() throws {
        #expect(try Self.sources().count >= 10)
    }

    @Test("no I/O, storage or logging module is imported")
    func noForbiddenImports() throws {
        for (name, text) in try Self.sources() {
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let importIndex = words.firstIndex(of: "import"), importIndex + 1 < words.count,
                      words[..<importIndex].allSatisfy({ $0.hasPrefix("@") || $0 == "public" || $0 == "internal" }) else { continue }
                let module = words[importIndex + 1].split(separator: ".").first.map(String.init) ?? ""
                #expect(!Self.forbiddenModules.contains(module), "\(name) imports \(module)")
            }
        }
    }

    @Test("no clock, file system, environment or randomness")
    func noForbiddenCalls() throws {
        for (name, text) in try Self.sources() {
            for call in Self.forbiddenCalls {
                #expect(!text.contains(call), "\(name) uses \(call)")
            }
        }
    }
}
