import RouteLedgerSimulator
import Testing
@testable import RouteLedgerCore

@Suite("A frontend's serialization edited in place")
struct CanonicalFrontendTests {
    @Test("server lines taken out and put in, anywhere, give the bytes of the frontend written from scratch", arguments: 0..<20)
    func editsMatchFromScratch(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var frontend = ProxyFrontend(key: FrontendKey(cluster: "", host: "shop.local", path: "/api"), stickyCookie: seed % 2 == 0 ? "session" : nil,
                                     ipHash: false, contextRootRewrite: true, redirects: [Redirect(source: "http://a", target: "https://a")],
                                     websocketEndpoints: ["/ws"], tls: seed % 3 == 0 ? TLSSettings(certificate: "shop-2026", key: "shop-2026-key") : nil,
                                     servers: [])
        var canonical = CanonicalFrontend(frontend)
        var line: [UInt8] = []
        for _ in 0..<200 {
            if !frontend.servers.isEmpty && Int.random(in: 0..<3, using: &random) == 0 {
                let index = Int.random(in: 0..<frontend.servers.count, using: &random)
                frontend.servers.remove(at: index)
                canonical.removeServer(at: index)
            } else {
                let server = ProxyServer(address: "10.0.\(Int.random(in: 0..<4, using: &random)).\(Int.random(in: 1..<9, using: &random)):80",
                                         maxFails: Bool.random(using: &random) ? 3 : nil, failTimeout: Bool.random(using: &random) ? "10s" : nil)
                let index = frontend.servers.insertionIndex(of: server)
                frontend.servers.insert(server, at: index)
                canonical.insertServer(server, at: index, scratch: &line)
            }
            let fresh = CanonicalFrontend(frontend).bytes
            #expect(canonical.bytes == fresh, "seed \(seed), \(frontend.servers.count) servers")
            #expect(canonical.digest == ConfigVersion.FrontendDigest(frontend))
            if canonical.bytes != fresh { return }
        }
    }
}
