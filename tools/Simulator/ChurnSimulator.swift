import RouteLedgerCore

/// A deterministic Docker Swarm cluster churn generator writing RouteLedger events as JSON Lines.
///
/// The log starts with the networks, then every service of the fixed set (`service.created`) followed by its
/// running tasks; then endless churn drawn at random from rolling restarts, failures, scaling, image and env
/// updates, rare label and network changes, very rare remove-and-recreate of a service (new id, same name), and,
/// when configured, canary rollouts (a one-task service on another's hosts, started, then drained and removed).
/// Several multi-step operations are in flight at once and their events interleave. No clock, no Foundation,
/// no randomness but the seeded PRNG: the same configuration always yields the same bytes.
public struct ChurnSimulator: Sendable {
    /// The churn operations, drawn by weight.
    enum OperationKind: CaseIterable {
        // New kinds go last, with weight 0 unless configured, so that existing seeds draw as before.
        case restartTask, failure, scale, image, env, labels, networks, recreate, scratchNetwork, canary

        /// Relative weight of the draw.
        var weight: Int {
            switch self {
            case .restartTask: 240
            case .failure: 170
            case .scale: 150
            case .image: 110
            case .env: 50
            case .labels: 40
            case .networks: 10
            case .recreate: 6
            case .scratchNetwork: 4
            case .canary: 12
            }
        }
    }

    /// Where the initial burst (networks, services, their tasks) has got to.
    struct Bootstrap: Sendable {
        var network = 0
        var service = 0
        var task = 0
        var serviceEmitted = false
        var done = false
    }

    static let maxReplicas = 10
    static let startProbability = 0.35
    static let names = ["web", "api", "auth", "cart", "shop", "search", "billing", "media", "admin", "docs",
                        "chat", "mail", "blog", "pay", "cdn", "status", "wiki", "store", "jobs", "feed"]
    static let networkNames = ["frontend", "backend", "internal", "data", "mesh", "edge", "ops", "payments"]
    static let stacks = ["shop", "core", "ops", "data"]
    static let ports = ["8080", "80", "3000", "5000", "8000", "9000", "8443"]
    static let cookies = ["JSESSIONID", "SESSIONID", "sid", "lb_affinity"]
    static let logLevels = ["LOG_LEVEL=info", "LOG_LEVEL=debug", "LOG_LEVEL=warn"]

    private var random: SimRandom
    private var clock = SimClock(start: Timestamp(rfc3339: "2026-11-27T10:00:00Z")!)
    private let idPrefix: [UInt8]
    private var eventCount: UInt64 = 0
    private var networks: [SimNetwork] = []
    private var networkIDBytes: [[UInt8]] = []
    private var pools: [AddressPool] = []
    private var services: [SimService] = []
    private let overlayCount: Int
    private let nodeCount: Int
    private var serviceCounter: UInt64 = 0
    private var taskCounter: UInt64 = 0
    private var scratchCounter = 0
    private var canaryCounter = 0
    private let canaryRollouts: Bool
    private var bootstrap = Bootstrap()
    private var inFlight: [SimOperation] = []
    private let maxInFlight: Int
    private let operationWeightTotal: Int

    /// Creates a simulator; out-of-range configuration values are clamped (at least one service and one overlay).
    public init(_ configuration: ChurnConfiguration) {
        random = SimRandom(seed: configuration.seed)
        var prefix: [UInt8] = []
        prefix.appendJSONString(configuration.eventIDPrefix)
        idPrefix = Array(prefix.dropFirst().dropLast())
        let serviceCount = max(1, configuration.services)
        overlayCount = min(200, max(1, configuration.networks))
        nodeCount = max(3, min(99, serviceCount / 10))
        maxInFlight = max(1, min(6, serviceCount / 4))
        canaryRollouts = configuration.canaryRollouts
        let rollouts = configuration.canaryRollouts
        operationWeightTotal = OperationKind.allCases.reduce(0) { $0 + ($1 == .canary && !rollouts ? 0 : $1.weight) }

        networks.append(SimNetwork(id: "n0", name: "ingress", ingress: true))
        for k in 1...overlayCount {
            let base = Self.networkNames[(k - 1) % Self.networkNames.count]
            let round = (k - 1) / Self.networkNames.count
            networks.append(SimNetwork(id: "n" + String(k), name: round == 0 ? base : base + "-" + String(round + 1),
                                       ingress: false))
        }
        networkIDBytes = networks.map { Array($0.id.utf8) }
        pools = Array(repeating: AddressPool(), count: networks.count)
        buildServices(count: serviceCount, vipFraction: Self.clamp01(configuration.vipFraction),
                      sharedHostFraction: Self.clamp01(configuration.sharedHostFraction))
    }

    /// Appends the next event as one JSON line (with a trailing "\n") to `out`; never ends.
    public mutating func nextLine(into out: inout [UInt8]) {
        if !bootstrap.done {
            emitBootstrap(into: &out)
            return
        }
        if inFlight.isEmpty || (inFlight.count < maxInFlight && random.chance(Self.startProbability)) {
            if startOperation() {
                advance(inFlight.count - 1, into: &out)
                return
            }
        }
        advance(random.below(inFlight.count), into: &out)
    }

    /// The first `count` events as JSON Lines bytes.
    public static func lines(_ count: Int, _ configuration: ChurnConfiguration) -> [UInt8] {
        var simulator = ChurnSimulator(configuration)
        var out: [UInt8] = []
        out.reserveCapacity(max(0, count) * 256)
        for _ in 0..<max(0, count) { simulator.nextLine(into: &out) }
        return out
    }

    // MARK: - Scheduling

    /// Emits the next step of in-flight operation `index`, retiring it (and freeing its service) when done.
    private mutating func advance(_ index: Int, into out: inout [UInt8]) {
        let step = inFlight[index].steps[inFlight[index].next]
        inFlight[index].next += 1
        if inFlight[index].next == inFlight[index].steps.count {
            if let service = inFlight[index].service { services[service].busy = false }
            inFlight.swapAt(index, inFlight.count - 1)
            inFlight.removeLast()
        }
        emit(step, into: &out)
    }

    /// Plans a new operation and queues it; false when no service is free for it.
    private mutating func startOperation() -> Bool {
        var draw = random.below(operationWeightTotal)
        var kind = OperationKind.restartTask
        for candidate in OperationKind.allCases {
            let weight = candidate == .canary && !canaryRollouts ? 0 : candidate.weight
            if draw < weight { kind = candidate; break }
            draw -= weight
        }
        if kind == .scratchNetwork {
            planScratchNetwork()
            return true
        }
        guard let s = pickFreeService(for: kind) else {
            if inFlight.isEmpty {
                planScratchNetwork()
                return true
            }
            return false
        }
        let steps: [SimStep]
        switch kind {
        case .restartTask: steps = planRestart(s)
        case .failure: steps = planFailure(s)
        case .scale: steps = planScale(s)
        case .image: steps = planImage(s)
        case .env: steps = planEnv(s)
        case .labels: steps = planLabels(s)
        case .networks: steps = planNetworks(s)
        case .recreate: steps = planRecreate(s)
        case .canary: steps = planCanary(s)
        case .scratchNetwork: steps = []
        }
        precondition(!steps.isEmpty, "an operation must emit at least one event")
        services[s].busy = true
        inFlight.append(SimOperation(service: s, steps: steps))
        return true
    }

    /// A random service without an operation in flight; label changes prefer one with changed labels and network
    /// changes one with an extra network attached, so that such states do not last.
    private mutating func pickFreeService(for kind: OperationKind) -> Int? {
        if (kind == .labels || kind == .networks) && random.chance(0.6) {
            let start = random.below(services.count)
            for offset in 0..<services.count {
                let s = (start + offset) % services.count
                if services[s].busy { continue }
                if kind == .labels ? services[s].labelsChanged : services[s].networks != services[s].homeNetworks {
                    return s
                }
            }
        }
        for _ in 0..<16 {
            let s = random.below(services.count)
            if !services[s].busy { return s }
        }
        let start = random.below(services.count)
        for offset in 0..<services.count {
            let s = (start + offset) % services.count
            if !services[s].busy { return s }
        }
        return nil
    }

    // MARK: - Operations

    /// Restart of one task: drain, stop, remove, replacement in the same slot (sometimes started first).
    private mutating func planRestart(_ s: Int) -> [SimStep] {
        if services[s].tasks.isEmpty { return planScale(s) }
        let i = random.below(services[s].tasks.count)
        let old = services[s].tasks[i]
        let replacement = newTask(s, slot: old.slot, avoiding: old.node)
        services[s].tasks[i] = replacement
        return replaceSteps(old, replacement, startFirst: random.chance(0.25))
    }

    /// A running task fails (or completes, or is orphaned); a replacement starts, sometimes after a rejected attempt.
    private mutating func planFailure(_ s: Int) -> [SimStep] {
        if services[s].tasks.isEmpty { return planScale(s) }
        let i = random.below(services[s].tasks.count)
        let old = services[s].tasks[i]
        let variant = random.below(100)
        let terminal: SimTaskState = variant < 65 || variant >= 85 ? .failed : (variant < 75 ? .complete : .orphaned)
        var steps: [SimStep] = [.task(old, terminal, desired: .running, addresses: true),
                                .task(old, terminal, desired: .shutdown, addresses: true)]
        if variant >= 85 {
            taskCounter += 1
            let attempt = SimTask(number: taskCounter, service: old.service, slot: old.slot,
                                  node: randomNode(avoiding: old.node), addresses: [])
            steps += [.task(attempt, .pending, desired: .running, addresses: false),
                      .task(attempt, .rejected, desired: .running, addresses: false),
                      .task(attempt, .rejected, desired: .shutdown, addresses: false),
                      .taskRemoved(attempt)]
        }
        let replacement = newTask(s, slot: old.slot, avoiding: old.node)
        services[s].tasks[i] = replacement
        steps += startSteps(replacement)
        steps.append(.taskRemoved(old))
        return steps
    }

    /// Scales by 1…3 replicas up or down (rarely to zero; drifting back to the initial count): `service.updated`,
    /// then tasks start or drain.
    private mutating func planScale(_ s: Int) -> [SimStep] {
        let current = services[s].replicas
        let delta = random.int(in: 1...3)
        let home = services[s].homeReplicas
        var up = current == 0 || (current < Self.maxReplicas && random.chance(current < home ? 0.8 : current > home ? 0.2 : 0.5))
        var target = up ? min(Self.maxReplicas, current + delta) : current - delta
        if !up && target < 1 { target = random.chance(0.1) ? 0 : 1 }
        if target == current {
            up = true
            target = min(Self.maxReplicas, current + delta)
        }
        services[s].replicas = target
        var sequences: [[SimStep]] = []
        if up {
            for slot in (current + 1)...target {
                let task = newTask(s, slot: slot, avoiding: -1)
                services[s].tasks.append(task)
                sequences.append(startSteps(task))
            }
        } else {
            for task in services[s].tasks where task.slot > target {
                sequences.append(stopSteps(task))
            }
            services[s].tasks.removeAll { $0.slot > target }
        }
        return [.serviceUpdated(s, release: [])] + merge(sequences)
    }

    /// A new image tag: `service.updated`, then a rolling replacement of every task.
    private mutating func planImage(_ s: Int) -> [SimStep] {
        var (major, minor, patch) = services[s].version
        let r = random.below(100)
        if r < 70 { patch += 1 } else if r < 95 { minor += 1; patch = 0 } else { major += 1; minor = 0; patch = 0 }
        services[s].version = (major, minor, patch)
        return [.serviceUpdated(s, release: [])] + rollAll(s)
    }

    /// A changed environment: `service.updated`, then a rolling replacement of every task.
    private mutating func planEnv(_ s: Int) -> [SimStep] {
        var env = services[s].env
        switch random.below(3) {
        case 0:
            if let i = env.firstIndex(where: { $0.hasPrefix("LOG_LEVEL=") }) {
                let current = Self.logLevels.firstIndex(of: env[i]) ?? 0
                env[i] = Self.logLevels[(current + 1 + random.below(Self.logLevels.count - 1)) % Self.logLevels.count]
            } else {
                env.append(Self.logLevels[0])
            }
        case 1:
            if let i = env.firstIndex(of: "FEATURE_BETA=on") { env.remove(at: i) } else { env.append("FEATURE_BETA=on") }
        default:
            if let i = env.firstIndex(where: { $0.hasPrefix("REVISION=") }) {
                let revision = Int(env[i].dropFirst("REVISION=".count)) ?? 0
                env[i] = "REVISION=" + String(revision + 1)
            } else {
                env.append("REVISION=1")
            }
        }
        services[s].env = env
        return [.serviceUpdated(s, release: [])] + rollAll(s)
    }

    /// A routing label change: reverts earlier changes (fixing a broken label), or toggles the sticky cookie, changes
    /// the port, switches backend_mode, or (sometimes) breaks a label on purpose. One `service.updated`; tasks stay.
    private mutating func planLabels(_ s: Int) -> [SimStep] {
        var service = services[s]
        if service.labelsChanged {
            let network = service.label(SimService.networkLabel)
            service.labels = service.homeLabels
            service.setLabel(SimService.networkLabel, network)
        } else if !service.published {
            service.setLabel("com.example.tier", service.label("com.example.tier") == "batch" ? "worker" : "batch")
        } else {
            let sticky = "com.docker.lb.sticky_session_cookie"
            let mode = service.label("com.docker.lb.backend_mode") ?? "task"
            var r = random.below(100)
            if r >= 55 && r < 75 && service.dnsrr && mode != "vip" { r = 0 }  // dnsrr has no VIP to switch to
            if r < 30 {
                service.setLabel(sticky, service.label(sticky) == nil ? random.pick(Self.cookies) : nil)
            } else if r < 55 {
                let port = service.label("com.docker.lb.port")
                var next = random.pick(Self.ports)
                if next == port { next = Self.ports[(Self.ports.firstIndex(of: next)! + 1) % Self.ports.count] }
                service.setLabel("com.docker.lb.port", next)
            } else if r < 75 {
                service.setLabel("com.docker.lb.backend_mode", mode == "vip" ? "task" : "vip")
            } else {
                let (key, bad) = [("com.docker.lb.port", "80a"), ("com.docker.lb.backend_mode", "bogus"),
                                  (sticky, "bad-cookie")][random.below(3)]
                service.setLabel(key, bad)
            }
        }
        services[s] = service
        return [.serviceUpdated(s, release: [])]
    }

    /// Attaches an extra network (with its VIP) or detaches it again (never one of the service's own networks):
    /// `service.updated`, then a rolling replacement of every task so their addresses follow.
    private mutating func planNetworks(_ s: Int) -> [SimStep] {
        let attached = services[s].networks
        let home = services[s].homeNetworks
        var release: [SimAddress] = []
        if let extra = attached.first(where: { !home.contains($0) }) {
            services[s].networks.removeAll { $0 == extra }
            if services[s].networks == home {
                let homeNetwork = services[s].homeLabels.first { $0.key == SimService.networkLabel }?.value
                services[s].setLabel(SimService.networkLabel, homeNetwork)
            }
            if let i = services[s].vips.firstIndex(where: { $0.network == extra }) {
                release.append(services[s].vips.remove(at: i))
            }
        } else if let missing = home.first(where: { !attached.contains($0) }) {
            attach(missing, to: s)
        } else {
            let candidates = (1...overlayCount).filter { !attached.contains($0) }
            guard !candidates.isEmpty else { return planImage(s) }
            attach(random.pick(candidates), to: s)
        }
        return [.serviceUpdated(s, release: release)] + rollAll(s)
    }

    /// Adds network `n` (and its VIP) to service `s`, pinning routing to the first network when published.
    private mutating func attach(_ n: Int, to s: Int) {
        if services[s].published && services[s].label(SimService.networkLabel) == nil, let first = services[s].networks.first {
            services[s].setLabel(SimService.networkLabel, networks[first].name)
        }
        services[s].networks.append(n)
        if !services[s].dnsrr { services[s].vips.append(SimAddress(network: n, index: pools[n].allocate())) }
    }

    /// Removes the service (its tasks go desired `remove`, then away) and creates it again: new id, same name.
    private mutating func planRecreate(_ s: Int) -> [SimStep] {
        let old = services[s]
        var steps: [SimStep] = [.serviceRemoved(number: old.number, release: old.vips)]
        steps += merge(old.tasks.map { task -> [SimStep] in
            [.task(task, .running, desired: .remove, addresses: true),
             .task(task, .shutdown, desired: .remove, addresses: true),
             .taskRemoved(task)]
        })
        serviceCounter += 1
        services[s].number = serviceCounter
        services[s].vips = allocateVIPs(networks: old.networks, ingress: old.ingress, dnsrr: old.dnsrr)
        services[s].replicas = max(1, old.replicas)
        services[s].tasks = []
        for slot in 1...services[s].replicas {
            services[s].tasks.append(newTask(s, slot: slot, avoiding: -1))
        }
        steps.append(.serviceCreated(s))
        steps += merge(services[s].tasks.map { startSteps($0) })
        return steps
    }

    /// A canary rollout next to a published service: a one-task service on the same hosts (same labels, the next
    /// minor image), started, left to run while other operations go on, then drained, stopped and removed.
    /// The service itself is held meanwhile. A service that publishes no host scales instead.
    private mutating func planCanary(_ s: Int) -> [SimStep] {
        let base = services[s]
        guard base.published, base.label("com.docker.lb.hosts") != nil else { return planScale(s) }
        serviceCounter += 1
        canaryCounter += 1
        var canary = base
        canary.number = serviceCounter
        canary.name = base.name + "-canary-r" + String(canaryCounter)
        canary.version = (base.version.0, base.version.1 + 1, 0)
        canary.replicas = 1
        canary.vips = allocateVIPs(networks: base.networks, ingress: base.ingress, dnsrr: base.dnsrr)
        var task = newTask(s, slot: 1, avoiding: -1)
        task.service = canary.number
        canary.tasks = [task]
        return [.canaryCreated(canary)] + startSteps(task) + stopSteps(task)
            + [.serviceRemoved(number: canary.number, release: canary.vips)]
    }

    /// A network nobody uses is created and later removed.
    private mutating func planScratchNetwork() {
        scratchCounter += 1
        inFlight.append(SimOperation(service: nil, steps: [.scratchNetwork(scratchCounter, created: true),
                                                           .scratchNetwork(scratchCounter, created: false)]))
    }

    // MARK: - Step building

    /// Replaces every task of the service, one at a time (sometimes two at a time), in slot order.
    private mutating func rollAll(_ s: Int) -> [SimStep] {
        let order = services[s].tasks.indices.sorted { services[s].tasks[$0].slot < services[s].tasks[$1].slot }
        let parallelism = order.count > 2 && random.chance(0.3) ? 2 : 1
        let startFirst = random.chance(0.2)
        var groups = Array(repeating: [SimStep](), count: parallelism)
        for (k, i) in order.enumerated() {
            let old = services[s].tasks[i]
            let replacement = newTask(s, slot: old.slot, avoiding: old.node)
            services[s].tasks[i] = replacement
            groups[k % parallelism] += replaceSteps(old, replacement, startFirst: startFirst)
        }
        return merge(groups)
    }

    /// Old task out, replacement in (or the other way round with `startFirst`).
    private mutating func replaceSteps(_ old: SimTask, _ replacement: SimTask, startFirst: Bool) -> [SimStep] {
        startFirst ? startSteps(replacement) + stopSteps(old) : stopSteps(old) + startSteps(replacement)
    }

    /// Drain (desired `shutdown`), stop (`shutdown`), remove.
    private func stopSteps(_ task: SimTask) -> [SimStep] {
        [.task(task, .running, desired: .shutdown, addresses: true),
         .task(task, .shutdown, desired: .shutdown, addresses: true),
         .taskRemoved(task)]
    }

    /// A new task's way up: now and then some of `new`…`ready`, always `starting` then `running`.
    private mutating func startSteps(_ task: SimTask) -> [SimStep] {
        var steps: [SimStep] = []
        for state in [SimTaskState.new, .pending, .assigned, .accepted, .preparing, .ready] where random.chance(0.06) {
            steps.append(.task(task, state, desired: .running, addresses: state != .new && state != .pending))
        }
        steps.append(.task(task, .starting, desired: .running, addresses: true))
        steps.append(.task(task, .running, desired: .running, addresses: true))
        return steps
    }

    /// Interleaves sequences at random, keeping each one's order.
    private mutating func merge(_ sequences: [[SimStep]]) -> [SimStep] {
        if sequences.count == 1 { return sequences[0] }
        var positions = Array(repeating: 0, count: sequences.count)
        var open = sequences.indices.filter { !sequences[$0].isEmpty }
        var result: [SimStep] = []
        result.reserveCapacity(sequences.reduce(0) { $0 + $1.count })
        while !open.isEmpty {
            let k = random.below(open.count)
            let q = open[k]
            result.append(sequences[q][positions[q]])
            positions[q] += 1
            if positions[q] == sequences[q].count {
                open.swapAt(k, open.count - 1)
                open.removeLast()
            }
        }
        return result
    }

    /// A new task of service `s` in `slot`, with fresh addresses on each of its networks.
    private mutating func newTask(_ s: Int, slot: Int, avoiding node: Int) -> SimTask {
        taskCounter += 1
        var addresses: [SimAddress] = []
        addresses.reserveCapacity(services[s].networks.count + 1)
        if services[s].ingress { addresses.append(SimAddress(network: 0, index: pools[0].allocate())) }
        for n in services[s].networks { addresses.append(SimAddress(network: n, index: pools[n].allocate())) }
        return SimTask(number: taskCounter, service: services[s].number, slot: slot,
                       node: randomNode(avoiding: node), addresses: addresses)
    }

    /// A random node, other than `avoiding` when there is a choice.
    private mutating func randomNode(avoiding node: Int) -> Int {
        let pick = random.below(nodeCount)
        return pick == node ? (pick + 1) % nodeCount : pick
    }

    /// VIPs for a service: ingress first when published on the mesh, then one per network; none in dnsrr mode.
    private mutating func allocateVIPs(networks attached: [Int], ingress: Bool, dnsrr: Bool) -> [SimAddress] {
        if dnsrr { return [] }
        var vips: [SimAddress] = []
        if ingress { vips.append(SimAddress(network: 0, index: pools[0].allocate())) }
        for n in attached { vips.append(SimAddress(network: n, index: pools[n].allocate())) }
        return vips
    }

    // MARK: - Initial cluster

    /// Builds the fixed service set and its initial tasks.
    private mutating func buildServices(count: Int, vipFraction: Double, sharedHostFraction: Double) {
        services.reserveCapacity(count)
        var stable: [Int] = []  // published services with their own host, which canaries may share
        for i in 0..<count {
            var published = true
            var canaryOf: Int?
            if i > 0 && random.chance(0.05) {
                published = false
            } else if i > 0 && !stable.isEmpty && random.chance(sharedHostFraction) {
                canaryOf = random.pick(stable)
            }
            let word = canaryOf.map { services[$0].word } ?? Self.names[i % Self.names.count]
            let name = canaryOf.map { services[$0].name + "-canary-" + String(i) } ?? word + "-" + String(i)
            let vip = published && random.chance(vipFraction)
            let dnsrr = !vip && random.chance(0.1)
            let ingress = !dnsrr && random.chance(0.1)
            var attached: [Int] = []
            let wanted = min(overlayCount, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3][random.below(20)])
            while attached.count < wanted {
                let n = random.int(in: 1...overlayCount)
                if !attached.contains(n) { attached.append(n) }
            }

            var labels = [SimLabel(key: "com.docker.stack.namespace", value: random.pick(Self.stacks))]
            if published {
                if i == 0 {
                    labels.append(SimLabel(key: "com.docker.lb.default_backend", value: "true"))
                } else if let c = canaryOf {
                    labels.append(SimLabel(key: "com.docker.lb.hosts", value: services[c].label("com.docker.lb.hosts")!))
                } else {
                    let host = name + ".example.com"
                    labels.append(SimLabel(key: "com.docker.lb.hosts",
                                           value: random.chance(0.25) ? host + ",www." + host : host))
                }
                labels.append(SimLabel(key: "com.docker.lb.port", value: random.pick(Self.ports)))
                if vip {
                    labels.append(SimLabel(key: "com.docker.lb.backend_mode", value: "vip"))
                } else {
                    if random.chance(0.5) { labels.append(SimLabel(key: "com.docker.lb.backend_mode", value: "task")) }
                    if random.chance(0.2) {
                        labels.append(SimLabel(key: "com.docker.lb.sticky_session_cookie", value: random.pick(Self.cookies)))
                    }
                }
                if attached.count > 1 || random.chance(0.2) {
                    labels.append(SimLabel(key: "com.docker.lb.network", value: networks[attached[0]].name))
                }
                let cluster: String? = canaryOf.map { services[$0].label("com.docker.lb.service_cluster") }
                    ?? (i > 0 && random.chance(0.15) ? (random.chance(0.5) ? "east" : "west") : nil)
                if let cluster { labels.append(SimLabel(key: "com.docker.lb.service_cluster", value: cluster)) }
            } else {
                labels.append(SimLabel(key: "com.example.tier", value: "worker"))
            }

            let replicas = i == 0 ? 2 : [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 5, 6][random.below(20)]
            serviceCounter += 1
            services.append(SimService(
                number: serviceCounter, name: name, word: word, labels: labels, homeLabels: labels, replicas: replicas, homeReplicas: replicas,
                networks: attached, homeNetworks: attached, ingress: ingress, dnsrr: dnsrr, vips: [],
                imageRepository: "acme/" + word, version: (1, random.below(10), random.below(20)),
                env: ["APP_ENV=production", "LOG_LEVEL=info", "REVISION=1"], tasks: [], published: published))
            services[i].vips = allocateVIPs(networks: attached, ingress: ingress, dnsrr: dnsrr)
            for slot in 1...replicas { services[i].tasks.append(newTask(i, slot: slot, avoiding: -1)) }
            if published && canaryOf == nil && i > 0 { stable.append(i) }
        }
    }

    /// Emits the next event of the initial burst: networks, then each service and its running tasks.
    private mutating func emitBootstrap(into out: inout [UInt8]) {
        if bootstrap.network < networks.count {
            emitNetworkCreated(id: networkIDBytes[bootstrap.network], name: networks[bootstrap.network].name,
                               ingress: networks[bootstrap.network].ingress, into: &out)
            bootstrap.network += 1
        } else if !bootstrap.serviceEmitted {
            emit(.serviceCreated(bootstrap.service), into: &out)
            bootstrap.serviceEmitted = true
        } else {
            let task = services[bootstrap.service].tasks[bootstrap.task]
            emit(.task(task, .running, desired: .running, addresses: true), into: &out)
            bootstrap.task += 1
        }
        if bootstrap.serviceEmitted && bootstrap.task == services[bootstrap.service].tasks.count {
            bootstrap.service += 1
            bootstrap.task = 0
            bootstrap.serviceEmitted = false
            if bootstrap.service == services.count { bootstrap.done = true }
        }
    }

    // MARK: - Writing

    /// Emits one step as one JSON line and applies what it releases.
    private mutating func emit(_ step: SimStep, into out: inout [UInt8]) {
        switch step {
        case .task(let task, let state, let desired, let addresses):
            beginEvent("task.updated", into: &out)
            writeTask(task, state: state, desired: desired, addresses: addresses, into: &out)
            out.appendRaw("}\n")
        case .taskRemoved(let task):
            beginEvent("task.removed", into: &out)
            out.appendRaw("{\"taskId\":\"")
            writeTaskID(task.number, into: &out)
            out.appendRaw("\"}}\n")
            for address in task.addresses { pools[address.network].release(address.index) }
        case .serviceCreated(let s):
            beginEvent("service.created", into: &out)
            writeService(services[s], into: &out)
            out.appendRaw("}\n")
        case .serviceUpdated(let s, let release):
            beginEvent("service.updated", into: &out)
            writeService(services[s], into: &out)
            out.appendRaw("}\n")
            for address in release { pools[address.network].release(address.index) }
        case .serviceRemoved(let number, let release):
            beginEvent("service.removed", into: &out)
            out.appendRaw("{\"serviceId\":\"")
            writeServiceID(number, into: &out)
            out.appendRaw("\"}}\n")
            for address in release { pools[address.network].release(address.index) }
        case .canaryCreated(let canary):
            beginEvent("service.created", into: &out)
            writeService(canary, into: &out)
            out.appendRaw("}\n")
        case .scratchNetwork(let k, let created):
            var id: [UInt8] = Array("nx".utf8)
            id.appendDecimal(k)
            if created {
                emitNetworkCreated(id: id, name: "scratch-" + String(k), ingress: false, into: &out)
            } else {
                beginEvent("network.removed", into: &out)
                out.appendRaw("{\"networkId\":\"")
                out.append(contentsOf: id)
                out.appendRaw("\"}}\n")
            }
        }
    }

    /// One `network.created` line.
    private mutating func emitNetworkCreated(id: [UInt8], name: String, ingress: Bool, into out: inout [UInt8]) {
        beginEvent("network.created", into: &out)
        out.appendRaw("{\"network\":{\"id\":\"")
        out.append(contentsOf: id)
        out.appendRaw("\",\"name\":")
        out.appendJSONString(name)
        out.appendRaw(ingress ? ",\"driver\":\"overlay\",\"ingress\":true}}}\n" : ",\"driver\":\"overlay\",\"ingress\":false}}}\n")
    }

    /// `{"id":"ev-N","type":"…","time":"…","data":` after moving the clock forward by a few hundred ms (or not at all).
    @inline(__always)
    private mutating func beginEvent(_ type: StaticString, into out: inout [UInt8]) {
        eventCount += 1
        let r = random.next()
        clock.advance(milliseconds: r & 15 == 0 ? 0 : 40 + Int(truncatingIfNeeded: (r >> 8) % 600))
        out.appendRaw("{\"id\":\"")
        out.append(contentsOf: idPrefix)
        out.appendDecimal(eventCount)
        out.appendRaw("\",\"type\":\"")
        out.appendRaw(type)
        out.appendRaw("\",\"time\":\"")
        clock.write(into: &out)
        out.appendRaw("\",\"data\":")
    }

    /// `{"task":{…}}`.
    @inline(__always)
    private func writeTask(_ task: SimTask, state: SimTaskState, desired: SimTaskState, addresses: Bool,
                           into out: inout [UInt8]) {
        out.appendRaw("{\"task\":{\"id\":\"")
        writeTaskID(task.number, into: &out)
        out.appendRaw("\",\"serviceId\":\"")
        writeServiceID(task.service, into: &out)
        out.appendRaw("\",\"slot\":")
        out.appendDecimal(task.slot)
        out.appendRaw(",\"nodeId\":\"node-")
        out.appendPadded(task.node + 1, width: 2)
        out.appendRaw("\",\"state\":\"")
        out.appendRaw(state.name)
        out.appendRaw("\",\"desiredState\":\"")
        out.appendRaw(desired.name)
        out.appendRaw("\",\"addresses\":[")
        if addresses { writeAddresses(task.addresses, into: &out) }
        out.appendRaw("]}}")
    }

    /// `{"service":{…}}` with the whole spec.
    private func writeService(_ service: SimService, into out: inout [UInt8]) {
        out.appendRaw("{\"service\":{\"id\":\"")
        writeServiceID(service.number, into: &out)
        out.appendRaw("\",\"name\":")
        out.appendJSONString(service.name)
        out.appendRaw(",\"labels\":{")
        for (i, label) in service.labels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(label.key)
            out.append(UInt8(ascii: ":"))
            out.appendJSONString(label.value)
        }
        out.appendRaw("},\"replicas\":")
        out.appendDecimal(service.replicas)
        out.appendRaw(",\"networks\":[")
        for (i, n) in service.networks.enumerated() {
            out.appendRaw(i == 0 ? "\"" : ",\"")
            out.append(contentsOf: networkIDBytes[n])
            out.append(UInt8(ascii: "\""))
        }
        out.appendRaw("],\"vips\":[")
        writeAddresses(service.vips, into: &out)
        out.appendRaw("],\"image\":")
        var image = service.imageRepository
        image += ":" + String(service.version.0) + "." + String(service.version.1) + "." + String(service.version.2)
        out.appendJSONString(image)
        out.appendRaw(",\"env\":[")
        for (i, variable) in service.env.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(variable)
        }
        out.appendRaw("]}}")
    }

    /// `{"networkId":"n1","addr":"10.1.x.y/24"},…`.
    @inline(__always)
    private func writeAddresses(_ addresses: [SimAddress], into out: inout [UInt8]) {
        for (i, address) in addresses.enumerated() {
            out.appendRaw(i == 0 ? "{\"networkId\":\"" : ",{\"networkId\":\"")
            out.append(contentsOf: networkIDBytes[address.network])
            out.appendRaw("\",\"addr\":\"10.")
            out.appendDecimal(address.network)
            out.append(UInt8(ascii: "."))
            out.appendDecimal(address.index / 253)
            out.append(UInt8(ascii: "."))
            out.appendDecimal(2 + address.index % 253)
            out.appendRaw("/24\"}")
        }
    }

    /// Task ids look random (`t` and 9 base-36 digits) but are a bijection of the task number.
    @inline(__always)
    private func writeTaskID(_ number: UInt64, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "t"))
        out.appendBase36(number &* 2_654_435_761, width: 9)
    }

    /// Service ids look random (`svc` and 6 base-36 digits) but are a bijection of the service number.
    @inline(__always)
    private func writeServiceID(_ number: UInt64, into out: inout [UInt8]) {
        out.appendRaw("svc")
        out.appendBase36(number &* 2_654_435_761, width: 6)
    }

    private static func clamp01(_ value: Double) -> Double { value.isNaN ? 0 : min(1, max(0, value)) }
}
