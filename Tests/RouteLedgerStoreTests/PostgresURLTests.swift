import Testing
@testable import RouteLedgerStore

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test("several hosts are tried in order, as libpq does; target_session_attrs says which one to keep")
    func severalHosts() async throws {
        let url = try PostgresURL("postgres://rl:pw@db1:5433,db2,10.0.0.3:6000/routes?target_session_attrs=read-write", environment: [:])
        #expect(url.endpoints.map { "\($0.host):\($0.port)" } == ["db1:5433", "db2:5432", "10.0.0.3:6000"])
        #expect(url.sessionAttributes == .readWrite)
        #expect(url.database == "routes" && url.password == "pw")
        #expect(url.description == "postgres://rl@db1:5433,db2,10.0.0.3:6000/routes?target_session_attrs=read-write", "no password")
        #expect(try PostgresURL(url.description, environment: ["PGPASSWORD": "pw"]) == url, "its description reads back")
        #expect(try PostgresURL("postgres://rl@db1/routes", environment: [:]).sessionAttributes == .any, "libpq's default")
    }

    @Test("a bad host list or session attribute is named")
    func refusals() {
        func problem(_ text: String) -> String? {
            do { _ = try PostgresURL(text, environment: [:]); return nil } catch { return "\(error)" }
        }
        #expect(problem("postgres://rl@db1,db2:99999/routes")?.contains("\"db2:99999\" has no valid port") == true)
        #expect(problem("postgres://rl@db1,,db2/routes")?.contains("is not HOST[:PORT]") == true)
        #expect(problem("postgres://rl@db1/routes?target_session_attrs=whichever")?
            .contains("target_session_attrs=whichever is not one of any, read-write, read-only, primary, standby") == true)
    }
}
