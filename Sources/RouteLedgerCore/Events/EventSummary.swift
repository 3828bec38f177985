extension ClusterEvent {
    /// A one-line description for people: what happened, naming services, tasks and networks as `names`
    /// does (learn the event into it first; ids it does not know are shown as they are).
    public func summary(names: NameBook) -> String {
        switch self {
        case .networkCreated(let network):
            return "network \(names.network(network.id)) created\(network.ingress ? " (ingress)" : "")\(network.driver.map { " [\($0)]" } ?? "")"
        case .networkRemoved(let id):
            return "network \(names.network(id)) removed"
        case .serviceCreated(let spec):
            return "service \(names.service(spec.id)) created: \(Self.describe(spec))"
        case .serviceUpdated(let spec):
            return "service \(names.service(spec.id)) updated: \(Self.describe(spec))"
        case .serviceRemoved(let id):
            return "service \(names.service(id)) removed"
        case .taskUpdated(let task):
            var text = "task \(names.task(task.id)): \(task.state.rawValue)"
            if task.desiredState != task.state { text += " (desired \(task.desiredState.rawValue))" }
            if let address = task.addresses.first { text += " at \(address.ip)" }
            return text
        case .taskRemoved(let id):
            return "task \(names.task(id)) removed"
        case .proxyApplied(let report):
            return "proxy \(report.proxy) applied config \(report.version.prefix(12)) for cluster \(ClusterName.display(report.cluster))"
        case .proxyRejected(let report):
            return "proxy \(report.proxy) rejected config \(report.version.prefix(12)): \(report.error ?? "")"
        case .proxyFailed(let report):
            return "proxy \(report.proxy) could not run config \(report.version.prefix(12)) on its host: \(report.error ?? "")"
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
