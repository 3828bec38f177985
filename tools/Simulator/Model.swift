/// Docker task states, as they appear in `task.updated` events.
enum SimTaskState: UInt8, Sendable, CaseIterable {
    case new, pending, assigned, accepted, preparing, ready, starting, running
    case complete, shutdown, failed, rejected, remove, orphaned

    /// The wire name.
    var name: StaticString {
        switch self {
        case .new: "new"
        case .pending: "pending"
        case .assigned: "assigned"
        case .accepted: "accepted"
        case .preparing: "preparing"
        case .ready: "ready"
        case .starting: "starting"
        case .running: "running"
        case .complete: "complete"
        case .shutdown: "shutdown"
        case .failed: "failed"
        case .rejected: "rejected"
        case .remove: "remove"
        case .orphaned: "orphaned"
        }
    }
}

/// An address taken from a network's pool: `10.<network>.<x>.<y>/24`.
struct SimAddress: Sendable, Hashable {
    /// Index of the network (0 is ingress, 1… are overlays).
    var network: Int
    /// Index in the network's pool.
    var index: Int
}

/// The addresses of one network, handed out in order and never to two live holders at once.
struct AddressPool: Sendable {
    /// Addresses per network: x in 0…255, y in 2…254.
    static let size = 256 * 253
    private var used: [UInt64] = Array(repeating: 0, count: (AddressPool.size + 63) / 64)
    private var cursor = 0
    /// Live addresses.
    private(set) var liveCount = 0

    /// Takes the next free address.
    mutating func allocate() -> Int {
        precondition(liveCount < AddressPool.size, "address pool exhausted")
        while true {
            let index = cursor
            cursor = cursor + 1 == AddressPool.size ? 0 : cursor + 1
            let word = index >> 6
            let bit = UInt64(1) << UInt64(index & 63)
            if used[word] & bit == 0 {
                used[word] |= bit
                liveCount += 1
                return index
            }
        }
    }

    /// Gives an address back.
    mutating func release(_ index: Int) {
        let word = index >> 6
        let bit = UInt64(1) << UInt64(index & 63)
        precondition(used[word] & bit != 0, "releasing a free address")
        used[word] &= ~bit
        liveCount -= 1
    }
}

/// A network of the simulated cluster.
struct SimNetwork: Sendable {
    /// Wire id (`n0` is ingress, `n1`… overlays).
    var id: String
    /// Name the `com.docker.lb.network` label refers to.
    var name: String
    /// Whether this is the routing mesh's ingress network.
    var ingress: Bool
}

/// One service label, kept in a stable order so specs serialize the same way each time.
struct SimLabel: Sendable, Hashable {
    /// Label key.
    var key: String
    /// Label value.
    var value: String
}

/// A task as the simulator knows it: enough to print every `task.updated` about it.
struct SimTask: Sendable {
    /// Task number (printed scrambled as `t…`).
    var number: UInt64
    /// Number of the service it belongs to (printed scrambled as `svc…`).
    var service: UInt64
    /// Replica slot.
    var slot: Int
    /// Node index.
    var node: Int
    /// Addresses, ingress first when the service is published on the routing mesh.
    var addresses: [SimAddress]
}

/// A service of the fixed set: its current spec and its settled tasks.
struct SimService: Sendable {
    /// Service number (changes when the service is removed and created again).
    var number: UInt64
    /// Service name (never changes).
    var name: String
    /// Base word of the name, used for image names.
    var word: String
    /// Labels in spec order.
    var labels: [SimLabel]
    /// The labels the service was created with; label changes (and broken labels) are reverted to them later.
    var homeLabels: [SimLabel]
    /// Desired replicas.
    var replicas: Int
    /// The replicas the service was created with; scaling drifts back towards it.
    var homeReplicas: Int
    /// Attached overlay networks (indices), in spec order.
    var networks: [Int]
    /// The networks the service was created with; others are attached for a while and detached again.
    var homeNetworks: [Int]
    /// Whether the service publishes a port on the routing mesh (ingress VIP and task addresses).
    var ingress: Bool
    /// Whether the endpoint mode is dnsrr (no VIPs at all).
    var dnsrr: Bool
    /// VIPs, ingress first.
    var vips: [SimAddress]
    /// Image repository without tag.
    var imageRepository: String
    /// Image version: major, minor, patch.
    var version: (Int, Int, Int)
    /// Environment.
    var env: [String]
    /// Tasks after the in-flight operation (if any) completes.
    var tasks: [SimTask]
    /// Whether an operation is in flight for this service.
    var busy = false
    /// Whether the service carries `com.docker.lb.*` routing labels.
    var published: Bool

    /// The value of a label.
    func label(_ key: String) -> String? {
        for label in labels where label.key == key { return label.value }
        return nil
    }

    /// Whether the labels differ from the home labels, ignoring `com.docker.lb.network` (network changes own it).
    var labelsChanged: Bool {
        var i = 0
        var j = 0
        while true {
            while i < labels.count && labels[i].key == SimService.networkLabel { i += 1 }
            while j < homeLabels.count && homeLabels[j].key == SimService.networkLabel { j += 1 }
            if i == labels.count || j == homeLabels.count { return i != labels.count || j != homeLabels.count }
            if labels[i] != homeLabels[j] { return true }
            i += 1
            j += 1
        }
    }

    /// The label pinning routing to one network.
    static let networkLabel = "com.docker.lb.network"

    /// Sets (or with nil removes) a label, keeping the order of the others.
    mutating func setLabel(_ key: String, _ value: String?) {
        if let index = labels.firstIndex(where: { $0.key == key }) {
            if let value { labels[index].value = value } else { labels.remove(at: index) }
        } else if let value {
            labels.append(SimLabel(key: key, value: value))
        }
    }
}

/// One event an operation will emit, with what it changes in the simulator when it does.
enum SimStep: Sendable {
    /// `task.updated`; `addresses` false prints an empty address list (not allocated yet).
    case task(SimTask, SimTaskState, desired: SimTaskState, addresses: Bool)
    /// `task.removed`; releases the task's addresses.
    case taskRemoved(SimTask)
    /// `service.created` with the service's current spec.
    case serviceCreated(Int)
    /// `service.updated` with the service's current spec; then releases `release`.
    case serviceUpdated(Int, release: [SimAddress])
    /// `service.removed` of service number `number`; then releases `release`.
    case serviceRemoved(number: UInt64, release: [SimAddress])
    /// `network.created` (or `network.removed`) of a short-lived scratch network never used by services.
    case scratchNetwork(Int, created: Bool)
    /// `service.created` of a canary, a short-lived service outside the fixed set.
    case canaryCreated(SimService)
}

/// A multi-step change in flight: its remaining events, emitted one at a time between other operations' events.
struct SimOperation: Sendable {
    /// The service it holds (nil for operations on no service).
    var service: Int?
    /// All its events.
    var steps: [SimStep]
    /// The next event to emit.
    var next = 0
}
