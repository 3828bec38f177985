/// The event types of format v1. The raw values are the storage and wire format: versioned with care.
public enum EventType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case networkCreated = "network.created"
    case networkRemoved = "network.removed"
    case serviceCreated = "service.created"
    case serviceUpdated = "service.updated"
    case serviceRemoved = "service.removed"
    case taskUpdated = "task.updated"
    case taskRemoved = "task.removed"
    case proxyApplied = "proxy.applied"
    case proxyRejected = "proxy.rejected"
    case proxyFailed = "proxy.failed"
    case configChanged = "config.changed"

    public var description: String { rawValue }
}

/// Something that happened in the cluster or at a proxy, as the fold consumes it.
public enum ClusterEvent: Sendable, Hashable {
    case networkCreated(Network)
    case networkRemoved(NetworkID)
    case serviceCreated(ServiceSpec)
    case serviceUpdated(ServiceSpec)
    case serviceRemoved(ServiceID)
    case taskUpdated(SwarmTask)
    case taskRemoved(TaskID)
    case proxyApplied(ProxyReport)
    case proxyRejected(ProxyReport)
    /// A proxy could not run a version for a reason of its own host (nginx missing or not allowed to start,
    /// a reload that failed), not of the configuration: never a `proxy.rejected`.
    case proxyFailed(ProxyReport)
    /// How reloads coalesce from this event on (`config --settle`): recorded in the log, so a rebuild gives
    /// the same reloads, with the same ids, forever.
    case configChanged(ReloadSettings)

    /// The event's wire type.
    public var type: EventType {
        switch self {
        case .networkCreated: .networkCreated
        case .networkRemoved: .networkRemoved
        case .serviceCreated: .serviceCreated
        case .serviceUpdated: .serviceUpdated
        case .serviceRemoved: .serviceRemoved
        case .taskUpdated: .taskUpdated
        case .taskRemoved: .taskRemoved
        case .proxyApplied: .proxyApplied
        case .proxyRejected: .proxyRejected
        case .proxyFailed: .proxyFailed
        case .configChanged: .configChanged
        }
    }
}

/// An event as stored in the log: its position, identity, times and payload.
public struct RecordedEvent: Sendable, Hashable {
    /// Gapless global position.
    public var seq: Seq
    /// Idempotency key (given, or assigned by the store).
    public var id: String
    /// When it happened in the cluster.
    public var time: Timestamp
    /// max(time, logTime of the previous event): never goes back; time queries resolve through it.
    public var logTime: Timestamp
    public var event: ClusterEvent

    public init(seq: Seq, id: String, time: Timestamp, logTime: Timestamp, event: ClusterEvent) {
        self.seq = seq
        self.id = id
        self.time = time
        self.logTime = logTime
        self.event = event
    }
}
