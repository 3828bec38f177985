import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerSimulator
import Testing

@Suite("ChurnSimulator canary rollouts")
struct ChurnCanaryTests {
    /// Decodes and folds every line; returns the events.
    static func events(_ bytes: [UInt8]) throws -> [ClusterEvent] {
        var events: [ClusterEvent] = []
        try bytes.withUnsafeBytes { buffer in
            try JSONParser.forEachDocument(in: buffer, reading: { reader, location in
                events.append(try EventDecoder.decode(&reader, at: location).event)
            })
        }
        return events
    }

    @Test("canaries are created on a published service's hosts, share them while their task runs, then go away", arguments: [UInt64(1), 2, 3])
    func rollouts(seed: UInt64) throws {
        let events = try Self.events(ChurnSimulator.lines(20_000, ChurnConfiguration(seed: seed, services: 40, canaryRollouts: true)))
        var projection = RoutingProjection()
        var created: [ServiceID: String] = [:]
        var removed: Set<ServiceID> = []
        var shared = 0
        for (i, event) in events.enumerated() {
            projection.apply(event, seq: Seq(i + 1))
            switch event {
            case .serviceCreated(let spec) where spec.name.contains("-canary-r"):
                #expect(spec.replicas == 1)
                #expect(spec.labels["com.docker.lb.hosts"] != nil)
                created[spec.id] = spec.name
            case .serviceRemoved(let id) where created[id] != nil:
                removed.insert(id)
            case .taskUpdated(let task) where created[task.serviceID] != nil && task.isRoutable:
                // The canary's host is served by the canary and the service it tests.
                let name = created[task.serviceID]!
                let frontends = projection.view.frontends.filter { $0.services.contains(name) }
                if frontends.contains(where: { $0.services.count > 1 }) { shared += 1 }
            default:
                break
            }
        }
        #expect(created.count >= 5)
        #expect(removed.count >= created.count - 6, "every canary but those still in flight at the end is removed")
        #expect(shared >= 1)
    }

    @Test("without canary rollouts a seed gives the bytes it always gave")
    func offByDefault() {
        let configuration = ChurnConfiguration(seed: 42, services: 20)
        #expect(!configuration.canaryRollouts)
        let lines = ChurnSimulator.lines(4_000, configuration)
        #expect(!String(decoding: lines, as: UTF8.self).contains("-canary-r"))
        #expect(lines != ChurnSimulator.lines(4_000, ChurnConfiguration(seed: 42, services: 20, canaryRollouts: true)))
    }
}
