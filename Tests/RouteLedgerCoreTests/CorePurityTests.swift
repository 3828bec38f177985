import Foundation
import Testing

/// RouteLedgerCore and the JSON module under it do no I/O, read no clock and make no random ids: time and
/// ids arrive inside events.
@Suite("RouteLedgerCore stays pure")
struct CorePurityTests {
    static let sourcesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")
    static let pureModules = ["RouteLedgerCore", "RouteLedgerJSON"]

    /// Modules that do storage, networking, files, clocks or logging.
    static let forbiddenModules = ["Foundation", "FoundationEssentials", "FoundationNetworking", "GRDB", "GRDBSQLite",
                                   "SQLite3", "Glibc", "Darwin", "Dispatch", "Logging", "Hummingbird", "AsyncHTTPClient"]
    /// Calls that read the clock, the file system, the environment or randomness.
    static let forbiddenCalls = ["FileManager", "Date()", "ProcessInfo", ".random(", "UUID()", "clock_gettime", "fopen("]

    static func sources() throws -> [(name: String, text: String)] {
        try pureModules.flatMap { module in
            let folder = sourcesFolder.appendingPathComponent(module)
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            return try files.filter { $0.hasSuffix(".swift") }.sorted().map {
                ("\(module)/\($0)", try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8))
            }
        }
    }

    @Test("the core's and the JSON module's sources are found")
    func sourcesExist() throws {
        let names = try Self.sources().map(\.name)
        #expect(names.filter { $0.hasPrefix("RouteLedgerCore/") }.count >= 10)
        #expect(names.filter { $0.hasPrefix("RouteLedgerJSON/") }.count >= 5)
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
