import Testing
@testable import RouteLedgerCore
import RouteLedgerJSON

/// The stored form of a reload's diff (its documented JSON), read back as the typed value.
@Suite("Reload diffs as the store keeps them")
struct ProxyDiffJSONTests {
    @Test("every diff of a random history reads back from its JSON to the same JSON, and to the same lines", arguments: 0..<8)
    func roundTrip(seed: UInt64) throws {
        var diffs = 0
        for reload in randomHistoryReloads(seed: seed) {
            let stored = reload.diff.json
            let read = try ProxyDiff(json: stored)
            #expect(read.json == stored, "seed \(seed) reload \(reload.id)")
            #expect(DiffText.lines(read, names: NameBook()) == DiffText.lines(reload.diff, names: NameBook()), "seed \(seed) reload \(reload.id)")
            #expect(read.frontendsAdded == reload.diff.frontendsAdded && read.options == reload.diff.options)
            diffs += 1
        }
        #expect(diffs > 10, "the history reloads")
    }

    @Test("a stored diff that is not the documented shape is refused, naming the member")
    func refused() throws {
        var diff = ProxyDiff()
        diff.upstreams = [ProxyDiff.UpstreamChange(key: FrontendKey(cluster: "", host: "a.local"), added: [ProxyServer(address: "10.0.0.1:80")],
                                                   removed: [], shareBefore: nil, shareAfter: 1)]
        guard case .object(var members) = diff.json else { Issue.record("not an object"); return }
        let index = members.firstIndex { $0.key == "upstreams" }!
        members[index] = JSONMember("upstreams", .array([.object([JSONMember("cluster", .string("")), JSONMember("host", .number("1"))])]))
        #expect(throws: DiffDecodingError(member: "upstreams.host")) { try ProxyDiff(json: .object(members)) }
        #expect(throws: DiffDecodingError(member: "frontendsAdded")) { try ProxyDiff(json: .object([])) }
    }
}
