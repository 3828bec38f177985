import Foundation

/// One listing of a Docker Engine: the bodies of `GET /networks`, `/services` and `/tasks` as it sent them,
/// read with Foundation's `JSONSerialization` (not RouteLedger's reader), and what Interlock's rules make of
/// it: the tests' expectation, derived from what the engine says rather than written down as constants.
///
/// The rules are those of the labels the tests use: `com.docker.lb.hosts` (one host), `port`, `network`
/// and `backend_mode`. In task mode a frontend's upstreams are the addresses on that network of the
/// service's tasks that run and are meant to (no such task: no frontend); in vip mode, the service's VIP
/// on it, whether or not a task runs behind it.
public struct EngineListing {
    /// The bodies, as the engine sent them.
    public let networksBody: Data, servicesBody: Data, tasksBody: Data

    /// A task as the engine lists it.
    public struct Task: Sendable, Hashable {
        public var id: String
        public var service: String
        public var state: String
        public var desiredState: String
        /// Network id → address (without the prefix length).
        public var addresses: [String: String]
        /// When it reached its state (`Status.Timestamp`), in seconds since the epoch.
        public var since: Double
    }

    /// A service: its id, name, labels, replicas (nil in global mode), VIPs (network id → address) and
    /// update state (`UpdateStatus.State`, when it has one).
    public struct Service: Sendable, Hashable {
        public var id: String
        public var name: String
        public var labels: [String: String]
        public var replicas: Int?
        public var vips: [String: String]
        public var updateState: String?
    }

    public let networks: [String: String]
    public let services: [Service]
    public let tasks: [Task]

    /// Reads the three bodies.
    public init(networks: Data, services: Data, tasks: Data) throws {
        networksBody = networks
        servicesBody = services
        tasksBody = tasks
        let networkList = try JSONSerialization.jsonObject(with: networks) as! [[String: Any]]
        self.networks = Dictionary(networkList.map { ($0["Name"] as! String, $0["Id"] as! String) }) { first, _ in first }
        self.services = (try JSONSerialization.jsonObject(with: services) as! [[String: Any]]).map { service in
            let spec = service["Spec"] as! [String: Any]
            let mode = spec["Mode"] as? [String: Any] ?? [:]
            var vips: [String: String] = [:]
            for vip in (service["Endpoint"] as? [String: Any])?["VirtualIPs"] as? [[String: Any]] ?? [] {
                vips[vip["NetworkID"] as! String] = Self.withoutPrefix(vip["Addr"] as! String)
            }
            return Service(id: service["ID"] as! String, name: spec["Name"] as! String, labels: spec["Labels"] as? [String: String] ?? [:],
                           replicas: (mode["Replicated"] as? [String: Any])?["Replicas"] as? Int, vips: vips,
                           updateState: (service["UpdateStatus"] as? [String: Any])?["State"] as? String)
        }
        self.tasks = (try JSONSerialization.jsonObject(with: tasks) as! [[String: Any]]).map { task in
            let status = task["Status"] as! [String: Any]
            var addresses: [String: String] = [:]
            for attachment in task["NetworksAttachments"] as? [[String: Any]] ?? [] {
                let network = (attachment["Network"] as! [String: Any])["ID"] as! String
                if let address = (attachment["Addresses"] as? [String])?.first { addresses[network] = Self.withoutPrefix(address) }
            }
            return Task(id: task["ID"] as! String, service: task["ServiceID"] as! String, state: status["State"] as! String,
                        desiredState: task["DesiredState"] as! String, addresses: addresses,
                        since: Self.seconds(status["Timestamp"] as! String) ?? 0)
        }
    }

    /// Reads a folder holding `networks.json`, `services.json` and `tasks.json`.
    public init(folder: URL) throws {
        func body(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name + ".json")) }
        try self.init(networks: try body("networks"), services: try body("services"), tasks: try body("tasks"))
    }

    /// Writes the three bodies into `folder`, byte for byte.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, body) in [("networks", networksBody), ("services", servicesBody), ("tasks", tasksBody)] {
            try body.write(to: folder.appendingPathComponent(name + ".json"))
        }
    }

    public func service(named name: String) -> Service? { services.first { $0.name == name } }

    /// The tasks of the service called `name`.
    public func tasks(of name: String) -> [Task] {
        guard let id = service(named: name)?.id else { return [] }
        return tasks.filter { $0.service == id }
    }

    /// The ids of `name`'s tasks that run and are meant to.
    public func runningTasks(of name: String) -> Set<String> {
        Set(tasks(of: name).filter { $0.state == "running" && $0.desiredState == "running" }.map(\.id))
    }

    /// Whether the cluster is at rest: each replicated service runs as many tasks as it asks for, no task of
    /// a listed service is on its way up (meant to run, not yet running) or down (running, meant to stop),
    /// no removed service's task still runs, and no update is in progress.
    public var isSettled: Bool {
        let listed = Set(services.map(\.id))
        for service in services {
            if let state = service.updateState, state != "completed" { return false }
            let own = tasks.filter { $0.service == service.id }
            if let replicas = service.replicas,
               own.filter({ $0.desiredState == "running" && $0.state == "running" }).count != replicas { return false }
        }
        return !tasks.contains { task in
            let comingOrGoing = (task.desiredState == "running") != (task.state == "running") && Self.runningOrBefore.contains(task.state)
            return listed.contains(task.service) ? comingOrGoing : task.state == "running"
        }
    }

    private static let runningOrBefore: Set = ["new", "pending", "allocated", "assigned", "accepted", "preparing", "ready", "starting", "running"]

    /// Host → upstream addresses, by Interlock's rules (see the type's description).
    public var routes: [String: Set<String>] {
        var routes: [String: Set<String>] = [:]
        for service in services {
            guard let host = service.labels["com.docker.lb.hosts"], let port = service.labels["com.docker.lb.port"], Int(port) != nil,
                  let network = service.labels["com.docker.lb.network"].flatMap({ networks[$0] }) else { continue }
            if service.labels["com.docker.lb.backend_mode"] == "vip" {
                routes[host] = Set(service.vips[network].map { [$0 + ":" + port] } ?? [])
            } else {
                // A frontend without upstreams is not served.
                let upstreams = Set(tasks.filter { $0.service == service.id && $0.state == "running" && $0.desiredState == "running" }
                    .compactMap { $0.addresses[network].map { $0 + ":" + port } })
                if !upstreams.isEmpty { routes[host] = upstreams }
            }
        }
        return routes
    }

    static func withoutPrefix(_ cidr: String) -> String { String(cidr.split(separator: "/").first ?? "") }

    /// Seconds since the epoch of an RFC 3339 time with up to nanoseconds (`2026-12-06T10:07:05.405559337Z`).
    public static func seconds(_ text: String) -> Double? {
        let parts = text.dropLast().split(separator: ".", maxSplits: 1)
        guard text.hasSuffix("Z"), let whole = parts.first,
              let date = ISO8601DateFormatter().date(from: whole + "Z") else { return nil }
        let fraction = parts.count == 2 ? Double("0." + parts[1]) ?? 0 : 0
        return date.timeIntervalSince1970 + fraction
    }
}
