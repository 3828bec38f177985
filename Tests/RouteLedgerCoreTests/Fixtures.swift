@testable import RouteLedgerCore

/// Small builders so that rule tests read like the rules.
enum Fixture {
    static let demo = Network(id: "n-demo", name: "demo", driver: "overlay")
    static let other = Network(id: "n-other", name: "other", driver: "overlay")
    static let ingress = Network(id: "n-ingress", name: "ingress", driver: "overlay", ingress: true)

    /// The networks every scenario starts with.
    static let networks: [ClusterEvent] = [.networkCreated(ingress), .networkCreated(demo), .networkCreated(other)]

    /// A service `name` (id `s-name`) with `com.docker.lb.` labels given without their prefix.
    static func service(_ name: String, _ lb: [String: String], networks: [NetworkID] = ["n-demo"],
                        vip: String? = nil, replicas: Int = 1, image: String = "img:1", env: [String]? = nil,
                        otherLabels: [String: String] = [:]) -> ServiceSpec {
        var labels = otherLabels
        for (key, value) in lb { labels[LabelParser.prefix + key] = value }
        let vips = vip.map { [NetworkAddress(networkID: networks.first(where: { $0 != "n-ingress" }) ?? "n-demo", cidr: $0 + "/24")] } ?? []
        return ServiceSpec(id: ServiceID("s-" + name), name: name, labels: labels, replicas: replicas,
                           networks: networks, vips: vips, image: image, env: env)
    }

    /// A task `id` of service `name` in `slot` with an address `ip` on `network`.
    static func task(_ id: String, of name: String, _ state: TaskState = .running, desired: TaskState = .running,
                     slot: Int = 1, ip: String?, network: NetworkID = "n-demo", extra: [NetworkAddress] = []) -> SwarmTask {
        SwarmTask(id: TaskID(id), serviceID: ServiceID("s-" + name), slot: slot, nodeID: "node-1", state: state,
                  desiredState: desired,
                  addresses: (ip.map { [NetworkAddress(networkID: network, cidr: $0 + "/24")] } ?? []) + extra)
    }

    /// `count` running tasks of `name` in slots 1 … count at 10.0.<subnet>.1 … .count.
    static func running(_ count: Int, of name: String, subnet: Int) -> [ClusterEvent] {
        (1...count).map { .taskUpdated(task("\(name)-\($0)", of: name, slot: $0, ip: "10.0.\(subnet).\($0)")) }
    }

    /// Folds events at positions 1, 2, 3, … incrementally.
    static func project(_ events: [ClusterEvent]) -> RoutingProjection {
        var projection = RoutingProjection()
        for (i, event) in events.enumerated() { projection.apply(event, seq: Seq(i + 1)) }
        return projection
    }
}

extension RoutingView {
    /// One line per upstream: `host[path] [cluster] address service share%`, plus `default[cluster] …` lines.
    var lines: [String] {
        var result: [String] = []
        for frontend in frontends {
            let where_ = frontend.path == "/" ? frontend.host : frontend.host + frontend.path
            let cluster = frontend.cluster.isEmpty ? "" : " [\(frontend.cluster)]"
            for upstream in frontend.upstreams {
                result.append("\(where_)\(cluster) \(upstream.address) \(upstream.service) \(Self.percent(upstream.share))")
            }
        }
        for backend in defaultBackends {
            let cluster = backend.cluster.isEmpty ? "" : "[\(backend.cluster)]"
            for upstream in backend.upstreams {
                result.append("default\(cluster) \(upstream.address) \(upstream.service) \(Self.percent(upstream.share))")
            }
        }
        return result
    }

    static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
    }

    /// Diagnostics as `severity service label: message`.
    var notes: [String] {
        diagnostics.map { d in
            let label = d.label.map { $0.hasPrefix(LabelParser.prefix) ? String($0.dropFirst(LabelParser.prefix.count)) : $0 } ?? "-"
            return "\(d.severity.rawValue) \(d.service ?? "-") \(label): \(d.message)"
        }
    }
}
