import RouteLedgerCore

/// A small deterministic generator (SplitMix64), so every failing seed can be replayed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    /// The generator state.
    public var state: UInt64
    /// Starts at `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random histories for property tests: a small pool of ids, so that events collide, arrive out of order and break labels.
public struct RandomHistory: Sendable {
    var random: SeededRandom

    /// A history for `seed`.
    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    static let networks: [Network] = [Network(id: "n-demo", name: "demo", driver: "overlay"), Network(id: "n-other", name: "other", driver: "overlay"),
                                      Network(id: "n-ingress", name: "ingress", driver: "overlay", ingress: true)]
    static let serviceNames = ["a", "b", "c", "d", "e", "f"]

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }

    mutating func labels() -> [String: String] {
        var lb: [String: String] = [:]
        func maybe(_ key: String, _ values: [String?]) { if let value = pick(values) { lb[key] = value } }
        maybe("hosts", ["x.local", "y.local", "x.local,y.local", nil, ""])
        maybe("port", ["80", "8080", "80", "80a", nil])
        maybe("backend_mode", [nil, nil, "task", "vip", "vip", "bogus"])
        maybe("sticky_session_cookie", [nil, nil, "c1", "c2"])
        maybe("ip_hash", [nil, nil, "true", "false"])
        maybe("default_backend", [nil, nil, "true"])
        maybe("service_cluster", [nil, nil, nil, "edge"])
        maybe("context_root", [nil, nil, nil, "/app"])
        maybe("network", [nil, nil, nil, "demo", "other", "ingress"])
        var labels: [String: String] = [:]
        for (key, value) in lb { labels[LabelParser.prefix + key] = value }
        if chance(0.2) { labels["team"] = pick(["x", "y"]) }
        return labels
    }

    mutating func addresses(_ networks: [NetworkID]) -> [NetworkAddress] {
        networks.filter { _ in chance(0.85) }.map { NetworkAddress(networkID: $0, cidr: "10.0.\(Int.random(in: 0..<3, using: &random)).\(Int.random(in: 1..<6, using: &random))/24") }
    }

    /// The next event.
    public mutating func next() -> ClusterEvent {
        let roll = Double.random(in: 0..<1, using: &random)
        let allNetworks = Self.networks.map(\.id)
        switch roll {
        case ..<0.45:
            let service = pick(Self.serviceNames + ["z"])
            let state = pick([TaskState.running, .running, .starting, .shutdown, .failed])
            let desired = pick([TaskState.running, .running, .running, .shutdown])
            return .taskUpdated(SwarmTask(id: TaskID("t\(Int.random(in: 0..<15, using: &random))"), serviceID: ServiceID("s-" + service),
                                          state: state, desiredState: desired, addresses: addresses(allNetworks)))
        case ..<0.55:
            return .taskRemoved(TaskID("t\(Int.random(in: 0..<15, using: &random))"))
        case ..<0.82:
            let name = pick(Self.serviceNames)
            let networks = allNetworks.filter { _ in chance(0.5) }
            let spec = ServiceSpec(id: ServiceID("s-" + name), name: pick([name, name, name + "2"]), labels: labels(),
                                   replicas: Int.random(in: 0..<5, using: &random), networks: networks,
                                   vips: networks.filter { _ in chance(0.9) }.map { NetworkAddress(networkID: $0, cidr: "10.0.9.\(Int.random(in: 1..<4, using: &random))/24") },
                                   image: pick(["img:1", "img:2"]))
            return chance(0.5) ? .serviceCreated(spec) : .serviceUpdated(spec)
        case ..<0.87:
            return .serviceRemoved(ServiceID("s-" + pick(Self.serviceNames)))
        case ..<0.93:
            return .networkCreated(pick(Self.networks))
        case ..<0.97:
            return .networkRemoved(pick(allNetworks))
        default:
            return .proxyApplied(ProxyReport(cluster: "", version: "v", proxy: "p"))
        }
    }
}
