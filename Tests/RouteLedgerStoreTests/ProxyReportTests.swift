import RouteLedgerCore
import Testing
@testable import RouteLedgerStore

/// Events for one task-mode service on `shop.local`: each task that starts or goes adds or takes an upstream.
private func service() -> String {
    #"{"id":"svc","type":"service.created","data":{"service":{"id":"s1","name":"shop","labels":{"com.docker.lb.hosts":"shop.local","com.docker.lb.port":"80"},"networks":["n1"],"vips":[]}}}"#
}

private func task(_ id: String, _ address: String, _ state: String) -> String {
    #"{"id":"\#(id)-\#(state)","type":"task.updated","data":{"task":{"id":"\#(id)","serviceId":"s1","state":"\#(state)","desiredState":"running","addresses":[{"networkId":"n1","addr":"\#(address)/24"}]}}}"#
}

private func applied(_ id: String, _ version: String, by proxy: String) -> String {
    #"{"id":"\#(id)","type":"proxy.applied","data":{"cluster":"","version":"\#(version)","proxy":"\#(proxy)"}}"#
}

@Suite("Proxy reports")
struct ProxyReportTests {
    @Test("a report belongs to the latest reload to its version before it, also when a version comes back", arguments: Engine.all)
    func versionComesBack(engine: Engine) async throws {
        let db = try await TemporaryDatabase(engine)
        let log = try db.open()
        _ = try log.append(contentsOf: lines(service(), task("t1", "10.0.0.2", "running")))
        let first = try #require(try log.reloads().last)
        _ = try log.append(contentsOf: lines(applied("a", first.version, by: "edge-1"), task("t2", "10.0.0.3", "running")))
        let second = try #require(try log.reloads().last)
        _ = try log.append(contentsOf: lines(applied("b", second.version, by: "edge-1"), task("t2", "10.0.0.3", "shutdown")))
        let third = try #require(try log.reloads().last)
        // Undoing the second task gives the first reload's proxy view again: the same version.
        #expect(third.version == first.version && third.id == first.id + 2)
        _ = try log.append(contentsOf: lines(applied("c", third.version, by: "edge-1"), applied("d", third.version, by: "edge-2")))

        func reporters(_ reload: StoredReload) throws -> [String] { try log.proxyReports(for: reload).map(\.report.proxy) }
        #expect(try reporters(first) == ["edge-1"], "the report after the version came back is the third reload's")
        #expect(try reporters(second) == ["edge-1"])
        #expect(try reporters(third) == ["edge-1", "edge-2"])
        #expect(try log.proxyReports(for: first).map(\.seq) == [3])
        // Asked together (as a timeline does), each reload gets what it gets alone.
        let together = try log.proxyReports(for: [third, first, second, first])
        #expect(together.keys.sorted() == [first.id, second.id, third.id])
        for reload in [first, second, third] { #expect(together[reload.id] == (try log.proxyReports(for: reload))) }
        // As of seq 7, edge-2's report (seq 8) is still to come.
        #expect(try log.proxyReports(for: [third], through: 7)[third.id]?.map(\.report.proxy) == ["edge-1"])
    }
}
