import Foundation
import Hummingbird
import RouteLedgerServer
import Testing
import TestSupport

/// The (method, path) pairs `docs/openapi.yaml` documents: the keys under `paths:` (two spaces in) and the
/// HTTP methods under each (four spaces in).
func documentedOperations() throws -> Set<String> {
    let text = try String(contentsOf: Executables.repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
    var operations: Set<String> = []
    var inPaths = false
    var path: String?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:" ; path = nil; continue }
        guard inPaths else { continue }
        if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
            path = String(line.dropFirst(2).dropLast())
        } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
            let method = line.trimmingCharacters(in: .whitespaces).dropLast()
            if ["get", "post", "put", "delete", "patch", "head"].contains(method) { operations.insert("\(method.uppercased()) \(path)") }
        }
    }
    return operations
}

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("docs/openapi.yaml documents exactly the routes the server registers")
    func matchesRouter() throws {
        let fixture = try ServerFixture(scenarios: [])
        defer { fixture.remove() }
        let router = Router()
        let metrics = ServerMetrics()
        API(log: fixture.log, feed: try ProxyFeed(log: fixture.log), metrics: metrics, configuration: ServerConfiguration()).register(on: router)
        let registered = Set(router.routes.map { "\($0.method) \($0.path)" })
        let documented = try documentedOperations()
        #expect(registered.count == 13)
        #expect(registered.subtracting(documented).isEmpty, "registered but not documented: \(registered.subtracting(documented))")
        #expect(documented.subtracting(registered).isEmpty, "documented but not registered: \(documented.subtracting(registered))")
    }
}
