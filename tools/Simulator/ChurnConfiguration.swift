/// The knobs of a simulated Docker Swarm cluster; the same configuration always yields the same log.
public struct ChurnConfiguration: Sendable, Hashable {
    /// Seed of the simulator's PRNG (xoshiro256** seeded through SplitMix64).
    public var seed: UInt64
    /// Number of services in the fixed service set, all created at the start (at least 1 is used).
    public var services: Int
    /// Number of overlay networks services attach to (1 to 200 are used); an ingress network is always added.
    public var networks: Int
    /// Share of published services whose `com.docker.lb.backend_mode` is `vip` (0 to 1).
    public var vipFraction: Double
    /// Share of services that publish a host another service already publishes (canaries), 0 to 1.
    public var sharedHostFraction: Double
    /// Prefix of event ids (`ev-1`, `ev-2`, …); give logs that go into one store different prefixes.
    public var eventIDPrefix: String
    /// Whether churn also rolls canaries out and back: a short-lived one-task service on a published service's
    /// hosts (`web-3-canary-r1`), started, then drained and removed. Off by default, so the logs of existing
    /// configurations (benchmarks, tests) stay byte for byte the same.
    public var canaryRollouts: Bool

    /// Creates a configuration; every parameter has the default the benchmarks use.
    public init(seed: UInt64 = 42, services: Int = 200, networks: Int = 4, vipFraction: Double = 0.3,
                sharedHostFraction: Double = 0.2, eventIDPrefix: String = "ev-", canaryRollouts: Bool = false) {
        self.seed = seed
        self.services = services
        self.networks = networks
        self.vipFraction = vipFraction
        self.sharedHostFraction = sharedHostFraction
        self.eventIDPrefix = eventIDPrefix
        self.canaryRollouts = canaryRollouts
    }
}
