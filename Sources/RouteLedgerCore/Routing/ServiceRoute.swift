/// An upstream target of one service before shares are known.
struct UpstreamTarget: Sendable, Hashable, Comparable {
    var address: String
    var task: TaskID?

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.address, lhs.task?.rawValue ?? "") < (rhs.address, rhs.task?.rawValue ?? "")
    }
}

/// What one service contributes to the routing now: its routing in force, its upstreams and its diagnostics.
struct ServiceRoute: Sendable, Hashable {
    var id: ServiceID
    var name: String
    var createdAt: Seq
    var networks: [NetworkID]
    var routing: ServiceRouting?
    var upstreams: [UpstreamTarget]
    var diagnostics: [Diagnostic]

    /// Orders services on a frontend: oldest first.
    static func isOlder(_ lhs: ServiceRoute, _ rhs: ServiceRoute) -> Bool {
        (lhs.createdAt, lhs.id.rawValue) < (rhs.createdAt, rhs.id.rawValue)
    }

    /// Resolves the route of `record` in `state`.
    init(_ record: ClusterState.ServiceRecord, in state: ClusterState) {
        let spec = record.spec
        id = spec.id
        name = spec.name
        createdAt = record.createdAt
        networks = spec.networks
        routing = record.routing
        upstreams = []
        diagnostics = Self.labelDiagnostics(record)
        guard let routing, let network = resolveNetwork(spec, routing, state) else { return }
        let taskIDs = state.taskIDsByService[spec.id] ?? []
        switch routing.mode {
        case .task:
            for taskID in taskIDs {
                guard let task = state.tasks[taskID], task.isRoutable,
                      let address = task.addresses.first(where: { $0.networkID == network }) else { continue }
                upstreams.append(UpstreamTarget(address: address.endpoint(port: routing.port), task: taskID))
            }
            upstreams.sort()
        case .vip:
            guard taskIDs.contains(where: { state.tasks[$0]?.isRoutable == true }) else { return }
            if let vip = spec.vips.first(where: { $0.networkID == network }) {
                upstreams = [UpstreamTarget(address: vip.endpoint(port: routing.port), task: nil)]
            } else {
                diagnostics.append(Diagnostic(.warning, service: name, label: LabelParser.prefix + "backend_mode",
                                              message: "vip mode, but the service has no VIP on network \(state.networks[network]?.name ?? network.rawValue)"))
            }
        }
    }

    /// The route network: named by the `network` label, or the only non-ingress network.
    private mutating func resolveNetwork(_ spec: ServiceSpec, _ routing: ServiceRouting, _ state: ClusterState) -> NetworkID? {
        let label = LabelParser.prefix + "network"
        if let wanted = routing.networkName {
            if let id = spec.networks.first(where: { state.networks[$0]?.name == wanted }) {
                if state.networks[id]?.ingress == true {
                    diagnostics.append(Diagnostic(.error, service: name, label: label,
                                                  message: "network \(wanted) is the ingress network, which is never used for routing"))
                    return nil
                }
                return id
            }
            diagnostics.append(Diagnostic(.error, service: name, label: label,
                                          message: "network \(wanted) is not attached to the service; no upstreams"))
            return nil
        }
        let candidates = spec.networks.filter { state.networks[$0]?.ingress != true }
        guard let first = candidates.first else {
            diagnostics.append(Diagnostic(.error, service: name, label: label,
                                          message: "the service has no non-ingress network; no upstreams"))
            return nil
        }
        if candidates.count > 1 {
            let names = candidates.map { state.networks[$0]?.name ?? $0.rawValue }
            diagnostics.append(Diagnostic(.warning, service: name, label: label,
                                          message: "the service is on several networks (\(names.joined(separator: ", "))); using \(names[0]); set \(label) to choose"))
        }
        return first
    }

    private static func labelDiagnostics(_ record: ClusterState.ServiceRecord) -> [Diagnostic] {
        switch record.labels {
        case .notPublished:
            return []
        case .published(_, let warnings):
            return warnings
        case .invalid(let errors, let warnings):
            let consequence = record.routing == nil ? "service not published" : "last valid routing kept"
            return errors.map { error in
                var error = error
                error.message += "; \(consequence)"
                return error
            } + warnings
        }
    }
}
