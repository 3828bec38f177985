import RouteLedgerJSON

extension ClusterEvent {
    /// The event's `data` payload in event format v1 (what `EventDecoder.payload` reads back).
    public var data: JSONValue {
        switch self {
        case .networkCreated(let network): .object([JSONMember("network", network.json)])
        case .networkRemoved(let id): .object([JSONMember("networkId", .string(id.rawValue))])
        case .serviceCreated(let spec), .serviceUpdated(let spec): .object([JSONMember("service", spec.json)])
        case .serviceRemoved(let id): .object([JSONMember("serviceId", .string(id.rawValue))])
        case .taskUpdated(let task): .object([JSONMember("task", task.json)])
        case .taskRemoved(let id): .object([JSONMember("taskId", .string(id.rawValue))])
        case .configChanged(let settings):
            .object([JSONMember("settleNanoseconds", .number(String(settings.settle))),
                     JSONMember("maxWaitNanoseconds", .number(String(settings.maxWait)))])
        case .proxyApplied(let report), .proxyRejected(let report), .proxyFailed(let report):
            .object([JSONMember("cluster", .string(report.cluster)), JSONMember("version", .string(report.version)),
                     JSONMember("proxy", .string(report.proxy))]
                    + (report.error.map { [JSONMember("error", .string($0))] } ?? []))
        }
    }
}
