import RouteLedgerCore

/// What one event did to the routing, in short lines for people.
enum RoutingEffect {
    static func describe(_ change: RoutingChange, before: RoutingProjection, after: RoutingProjection) -> [String] {
        var lines: [String] = []
        for key in change.frontends.sorted() {
            let old = before.frontend(key).0
            let new = after.frontend(key).0
            let oldSet = Set(old?.upstreams.map(\.address) ?? [])
            let newSet = Set(new?.upstreams.map(\.address) ?? [])
            var parts: [String] = []
            if old == nil && new != nil { parts.append("frontend added") }
            if old != nil && new == nil { parts.append("frontend removed") }
            let added = newSet.subtracting(oldSet).sorted()
            let removed = oldSet.subtracting(newSet).sorted()
            if !added.isEmpty { parts.append("+" + added.joined(separator: " +")) }
            if !removed.isEmpty { parts.append("-" + removed.joined(separator: " -")) }
            if parts.isEmpty && old != new { parts.append("options changed") }
            if !parts.isEmpty {
                let shares = new.map { frontend in
                    " (" + frontend.upstreams.map { "\($0.address) \(RoutingTable.percent($0.share))" }.joined(separator: ", ") + ")"
                } ?? ""
                lines.append("\(key): " + parts.joined(separator: ", ") + shares)
            }
        }
        for cluster in change.defaultBackendClusters.sorted() {
            let old = before.defaultBackend(cluster: cluster)
            let new = after.defaultBackend(cluster: cluster)
            guard old != new else { continue }
            let name = cluster.isEmpty ? "default cluster" : "cluster \(cluster)"
            if let new {
                lines.append("default backend of the \(name): \(new.service), \(new.upstreams.map(\.address).joined(separator: ", "))")
            } else {
                lines.append("default backend of the \(name): none (unknown hosts get 503)")
            }
        }
        return lines.isEmpty ? ["no change to what the proxy sees"] : lines
    }
}
