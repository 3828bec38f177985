import RouteLedgerJSON

/// The JSON of `GET /v1/timeline`.
extension HostTimeline {
    /// `{host, cluster, from, to, lanes: [{frontend, address, segments: [{from, to, service, task, taskName, share}]}],
    /// markers: [{id, seq, logTime, version, changes, frontends: [{frontend, upstreams}]}], diagnostics}`; a point is
    /// `{seq, logTime}`.
    public var json: JSONValue {
        func point(_ point: TimelinePoint?) -> JSONValue {
            guard let point else { return .null }
            return .object([JSONMember("seq", .number(String(point.seq))), JSONMember("logTime", point.logTime.map { .string($0.rfc3339) } ?? .null)])
        }
        return .object([
            JSONMember("host", .string(host)),
            JSONMember("cluster", .string(cluster)),
            JSONMember("from", point(from)),
            JSONMember("to", point(to)),
            JSONMember("lanes", .array(lanes.map { lane in
                .object([
                    JSONMember("frontend", .string(lane.frontend)),
                    JSONMember("address", .string(lane.address)),
                    JSONMember("segments", .array(lane.segments.map { segment in
                        .object([
                            JSONMember("from", point(segment.from)), JSONMember("to", point(segment.to)),
                            JSONMember("service", .string(segment.service)),
                            JSONMember("task", segment.task.map(JSONValue.string) ?? .null),
                            JSONMember("taskName", segment.taskName.map(JSONValue.string) ?? .null),
                            JSONMember("share", .number(JSONNumberText.share(segment.share))),
                        ])
                    })),
                ])
            })),
            JSONMember("markers", .array(markers.map { marker in
                .object([
                    JSONMember("id", .number(String(marker.id))), JSONMember("seq", .number(String(marker.point.seq))),
                    JSONMember("logTime", marker.point.logTime.map { .string($0.rfc3339) } ?? .null),
                    JSONMember("version", .string(marker.version)),
                    JSONMember("changes", .array(marker.changes.map(JSONValue.string))),
                    JSONMember("frontends", .array(marker.frontends.map { list in
                        .object([JSONMember("frontend", .string(list.frontend)), JSONMember("upstreams", .array(list.servers.map(JSONValue.string)))])
                    })),
                ])
            })),
            JSONMember("diagnostics", .array(diagnostics.map(\.json))),
        ])
    }
}
