import RouteLedgerCore
import RouteLedgerJSON

/// An event the ingest appends: its idempotency key, when it happened in the cluster, and its payload.
public struct IngestEvent: Sendable, Hashable {
    /// The idempotency key, derived from the Docker object (see ``Reconciler``).
    public var id: String
    /// The event's cluster time, taken from the object (`UpdatedAt`, `Status.Timestamp`, `Created`) or, for a
    /// removal, the time of the listing that no longer showed it.
    public var time: Timestamp
    public var event: ClusterEvent

    public init(id: String, time: Timestamp, event: ClusterEvent) {
        self.id = id
        self.time = time
        self.event = event
    }

    /// The event as one line of event format v1, `meta.source` set to `docker`, without the newline.
    public var jsonLine: String {
        JSONValue.object([
            JSONMember("id", .string(id)),
            JSONMember("type", .string(event.type.rawValue)),
            JSONMember("time", .string(time.rfc3339)),
            JSONMember("data", event.data),
            JSONMember("meta", .object([JSONMember("source", .string("docker"))])),
        ]).formatted(pretty: false)
    }
}

extension Array where Element == IngestEvent {
    /// The events as JSON Lines, ready for `EventLog.append(contentsOf:)`.
    public var jsonLines: [UInt8] {
        var bytes: [UInt8] = []
        for event in self {
            bytes += event.jsonLine.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}

/// Turns one Docker listing into the minimal events that bring the folded cluster state to it. Pure: the
/// listing, the state and the time come in, events go out; no I/O, no clock.
///
/// **Order** within a round: networks created, services created or updated, tasks updated, then removals
/// (tasks, services, networks). Within each group, by the object's time, then id.
///
/// **Ids** make a round idempotent and can never conflict in the store (the same id always carries the same
/// type and data):
/// - `docker:network.created:<Id>` — Docker never reuses a network id, and a network's name, driver and
///   ingress flag cannot change.
/// - `docker:service.created:<ID>:v<Version.Index>`, `docker:service.updated:<ID>:v<Version.Index>`,
///   `docker:task.updated:<ID>:v<Version.Index>` — Swarm raises `Version.Index` at every write of the object,
///   so one id names one content. The type is part of the id, so a `created` and an `updated` of one version
///   never collide.
/// - `docker:<type>.removed:<ID>:s<seq>` — a removal has no version; `seq` is the log position of the state
///   that still held the object. A repeat from the same state is a duplicate; a later removal of the same id
///   (after something appended it again) gets a new key instead of being swallowed as a duplicate.
///
/// A listing equal to the state yields no events, so listing the same cluster twice, or again after a
/// restart (the state is folded from the log), appends nothing.
public enum Reconciler {
    /// The events that turn `state` (the log folded through `position`) into the cluster `listing` shows.
    ///
    /// Only `swarm`-scoped networks are considered (bridge, host and other local networks are not Swarm's).
    /// Tasks of services the listing does not show are left alone: their service is being removed (which
    /// forgets them) or was created between the two list calls (the next round sees both).
    public static func events(for listing: DockerListing, against state: ClusterState, through position: Seq,
                              observedAt: Timestamp) -> [IngestEvent] {
        var events: [IngestEvent] = []

        // Networks. Local ones are not Swarm's; a duplicate id keeps its last listing.
        var networks: [NetworkID: DockerNetwork] = [:]
        for listed in listing.networks where listed.scope == "swarm" { networks[listed.network.id] = listed }
        for listed in networks.values.sorted(by: { order(($0.created ?? observedAt, $0.network.id.rawValue), ($1.created ?? observedAt, $1.network.id.rawValue)) })
        where state.networks[listed.network.id] != listed.network {
            events.append(IngestEvent(id: "docker:network.created:\(listed.network.id)", time: listed.created ?? observedAt,
                                      event: .networkCreated(listed.network)))
        }

        // Services: created when the state does not know them, updated when their spec differs.
        var services: [ServiceID: DockerService] = [:]
        for listed in listing.services where (services[listed.spec.id]?.version ?? 0) <= listed.version {
            services[listed.spec.id] = listed
        }
        for listed in services.values.sorted(by: { order((time(of: $0, observedAt), $0.spec.id.rawValue), (time(of: $1, observedAt), $1.spec.id.rawValue)) }) {
            let time = time(of: listed, observedAt)
            if let record = state.services[listed.spec.id] {
                guard record.spec != listed.spec else { continue }
                events.append(IngestEvent(id: "docker:service.updated:\(listed.spec.id):v\(listed.version)", time: time,
                                          event: .serviceUpdated(listed.spec)))
            } else {
                events.append(IngestEvent(id: "docker:service.created:\(listed.spec.id):v\(listed.version)", time: time,
                                          event: .serviceCreated(listed.spec)))
            }
        }

        // Tasks of listed services whose state, desired state, node or addresses differ.
        var tasks: [TaskID: DockerTask] = [:]
        for listed in listing.tasks where (tasks[listed.task.id]?.version ?? 0) <= listed.version { tasks[listed.task.id] = listed }
        for listed in tasks.values.sorted(by: { order((time(of: $0, observedAt), $0.task.id.rawValue), (time(of: $1, observedAt), $1.task.id.rawValue)) })
        where services[listed.task.serviceID] != nil && state.tasks[listed.task.id] != listed.task {
            events.append(IngestEvent(id: "docker:task.updated:\(listed.task.id):v\(listed.version)", time: time(of: listed, observedAt),
                                      event: .taskUpdated(listed.task)))
        }

        // Removals: tasks (unless their service goes too: removing it forgets them), services, networks.
        let removedServices = Set(state.services.keys.filter { services[$0] == nil })
        for (id, task) in state.tasks.sorted(by: { $0.key < $1.key })
        where tasks[id] == nil && !removedServices.contains(task.serviceID) {
            events.append(IngestEvent(id: "docker:task.removed:\(id):s\(position)", time: observedAt, event: .taskRemoved(id)))
        }
        for id in removedServices.sorted() {
            events.append(IngestEvent(id: "docker:service.removed:\(id):s\(position)", time: observedAt, event: .serviceRemoved(id)))
        }
        for id in state.networks.keys.sorted() where networks[id] == nil {
            events.append(IngestEvent(id: "docker:network.removed:\(id):s\(position)", time: observedAt, event: .networkRemoved(id)))
        }
        return events
    }

    /// A service's time: when its current spec was written.
    static func time(of service: DockerService, _ fallback: Timestamp) -> Timestamp {
        service.updatedAt ?? service.createdAt ?? fallback
    }

    /// A task's time: the later of the manager's last write (a desired-state change) and the agent's last status.
    static func time(of task: DockerTask, _ fallback: Timestamp) -> Timestamp {
        switch (task.updatedAt, task.statusTimestamp) {
        case let (updated?, status?): max(updated, status)
        case let (updated?, nil): updated
        case let (nil, status?): status
        case (nil, nil): fallback
        }
    }

    private static func order(_ a: (Timestamp, String), _ b: (Timestamp, String)) -> Bool {
        a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
    }
}
