/// A position of the log with its log time: where a timeline segment starts or ends.
public struct TimelinePoint: Sendable, Hashable {
    /// The last event included.
    public var seq: Seq
    /// Its log time (nil only before the first event).
    public var logTime: Timestamp?

    public init(seq: Seq, logTime: Timestamp?) {
        self.seq = seq
        self.logTime = logTime
    }
}

/// The upstreams of one host over a range of the log, as lanes: one per frontend and upstream address, with
/// a segment for each stretch the address was in the configuration with the same service, task and share.
/// What the timeline page and the HTML report draw.
public struct HostTimeline: Sendable, Hashable {
    /// One stretch of an upstream in the configuration.
    public struct Segment: Sendable, Hashable {
        /// Where it starts (the reload that added it, or the range's start).
        public var from: TimelinePoint
        /// Where it ends (the reload that removed or changed it); nil: still there at the range's end.
        public var to: TimelinePoint?
        /// The service, by name.
        public var service: String
        /// The task's id (task mode), nil for a VIP.
        public var task: String?
        /// The task's name (`shop.2`), nil for a VIP.
        public var taskName: String?
        /// The upstream's share of the frontend's requests.
        public var share: Double
    }

    /// One upstream address of one frontend.
    public struct Lane: Sendable, Hashable {
        /// The frontend: `shop.local`, `shop.local/api`; `default backend` for the cluster's default backend.
        public var frontend: String
        /// `ip:port`.
        public var address: String
        /// Its stretches, in log order.
        public var segments: [Segment]
    }

    /// A reload of the host in the range.
    public struct Marker: Sendable, Hashable {
        /// The reload's id.
        public var id: Int
        /// The position and log time it reloads at.
        public var point: TimelinePoint
        /// The config version after it, all 64 hex digits.
        public var version: String
        /// What it changed of the host, in short lines.
        public var changes: [String]
        /// Each frontend of the host it changed, with its servers after it (``HostServers``).
        public var frontends: [FrontendServerList]

        public init(id: Int, point: TimelinePoint, version: String, changes: [String], frontends: [FrontendServerList] = []) {
            self.id = id
            self.point = point
            self.version = version
            self.changes = changes
            self.frontends = frontends
        }
    }

    /// The host, lowercased.
    public var host: String
    /// The service cluster (`""` is the default cluster).
    public var cluster: String
    /// The range's start and end.
    public var from: TimelinePoint
    public var to: TimelinePoint
    /// Lanes, frontend by frontend (the default backend last), addresses in order.
    public var lanes: [Lane]
    /// The host's reloads in the range, in order.
    public var markers: [Marker]
    /// The diagnostics of the host's services at the range's end.
    public var diagnostics: [Diagnostic]

    /// The services on the lanes, in order of first appearance: what a legend lists.
    public var services: [String] {
        var seen: [String] = []
        for lane in lanes {
            for segment in lane.segments where !seen.contains(segment.service) { seen.append(segment.service) }
        }
        return seen
    }
}

extension HostTimeline {
    /// Builds a timeline from samples of the routing: the view at the range's start, then at each reload.
    public struct Builder: Sendable {
        private var timeline: HostTimeline
        private var open: [LaneKey: Segment] = [:]
        private var lanes: [LaneKey: [Segment]] = [:]

        private struct LaneKey: Hashable, Comparable {
            var frontend: String
            var order: Int
            var address: String
            static func < (lhs: Self, rhs: Self) -> Bool { (lhs.order, lhs.frontend, lhs.address) < (rhs.order, rhs.frontend, rhs.address) }
        }

        private struct Sample: Hashable {
            var service: String
            var task: String?
            var share: Double
        }

        /// Starts a timeline of `host` in `cluster` from `from`.
        public init(host: String, cluster: String, from: TimelinePoint) {
            timeline = HostTimeline(host: host.lowercased(), cluster: cluster, from: from, to: from, lanes: [], markers: [], diagnostics: [])
        }

        /// Records the routing at `point`: the host's frontends (of the timeline's cluster), and the cluster's
        /// default backend.
        public mutating func sample(frontends: [Frontend], defaultBackend: DefaultBackend?, at point: TimelinePoint, names: NameBook) {
            var current: [LaneKey: (Sample, String?)] = [:]
            func add(_ upstream: Upstream, _ key: LaneKey) {
                current[key] = (Sample(service: upstream.service, task: upstream.task, share: upstream.share), upstream.task.map { names.task(TaskID($0)) })
            }
            for frontend in frontends where frontend.host == timeline.host && frontend.cluster == timeline.cluster {
                let name = frontend.path == "/" ? frontend.host : frontend.host + frontend.path
                for upstream in frontend.upstreams { add(upstream, LaneKey(frontend: name, order: 0, address: upstream.address)) }
            }
            for upstream in defaultBackend?.upstreams ?? [] { add(upstream, LaneKey(frontend: "default backend", order: 1, address: upstream.address)) }
            for (key, segment) in open where current[key]?.0 != Sample(service: segment.service, task: segment.task, share: segment.share) {
                var closed = segment
                closed.to = point
                lanes[key, default: []].append(closed)
                open[key] = nil
            }
            for (key, (sample, taskName)) in current where open[key] == nil {
                open[key] = Segment(from: point, to: nil, service: sample.service, task: sample.task, taskName: taskName, share: sample.share)
            }
        }

        /// Records a reload of the host.
        public mutating func mark(_ marker: Marker) { timeline.markers.append(marker) }

        /// The timeline, ending at `to`, with the host's diagnostics there.
        public func finish(at to: TimelinePoint, diagnostics: [Diagnostic]) -> HostTimeline {
            var result = timeline
            result.to = to
            result.diagnostics = diagnostics
            var all = lanes
            for (key, segment) in open { all[key, default: []].append(segment) }
            result.lanes = all.keys.sorted().map { key in
                Lane(frontend: key.frontend, address: key.address, segments: all[key]!.sorted { $0.from.seq < $1.from.seq })
            }
            return result
        }
    }
}
