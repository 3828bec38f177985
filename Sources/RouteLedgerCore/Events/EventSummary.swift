extension ClusterEvent {
    /// A one-line description for people: what happened, with the names that matter.
    public var summary: String {
        switch self {
        case .networkCreated(let network):
            return "network \(network.name) created\(network.ingress ? " (ingress)" : "")\(network.driver.map { " [\($0)]" } ?? "")"
        case .networkRemoved(let id):
            return "network \(id) removed"
        case .serviceCreated(let spec):
            return "service \(spec.name) created: \(Self.describe(spec))"
        case .serviceUpdated(let spec):
            return "service \(spec.name) updated: \(Self.describe(spec))"
        case .serviceRemoved(let id):
            return "service \(id) removed"
        case .taskUpdated(let task):
            var text = "task \(task.id) of \(task.serviceID): \(task.state.rawValue)"
            if task.desiredState != task.state { text += " (desired \(task.desiredState.rawValue))" }
            if let address = task.addresses.first { text += " at \(address.ip)" }
            return text
        case .taskRemoved(let id):
            return "task \(id) removed"
        case .proxyApplied(let report):
            return "proxy \(report.proxy) applied config \(report.version.prefix(12)) for cluster \(ClusterName.display(report.cluster))"
        case .proxyRejected(let report):
            return "proxy \(report.proxy) rejected config \(report.version.prefix(12)): \(report.error ?? "")"
        case .configChanged(let settings):
            return "reload settings from here on: \(settings)"
        }
    }

    private static func describe(_ spec: ServiceSpec) -> String {
        var parts: [String] = []
        let lb = spec.labels.filter { $0.key.hasPrefix(LabelParser.prefix) }
            .map { "\($0.key.dropFirst(LabelParser.prefix.count))=\($0.value)" }.sorted()
        if !lb.isEmpty { parts.append(lb.joined(separator: " ")) }
        if let replicas = spec.replicas { parts.append("replicas \(replicas)") }
        if let image = spec.image { parts.append("image \(image)") }
        return parts.isEmpty ? "no routing labels" : parts.joined(separator: ", ")
    }
}
