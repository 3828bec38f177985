import ArgumentParser
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored events in log order.",
            discussion: """
                JSON output is an array of {seq, id, type, time, logTime, recordedAt, data, meta}; it can be \
                appended again (the ids make it a no-op).

                Examples:
                  routeledger events --after 100 --limit 20
                  routeledger events --at 2026-11-27T03:12:00Z --after 4400
                  routeledger events --json | jq '.[] | select(.type == "service.updated") | .seq'
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var point: PointOptions

        @Option(help: ArgumentHelp("Only events after this position.", valueName: "N"))
        var after: Int64 = 0

        @Option(help: ArgumentHelp(ListLimit.help, valueName: "N"))
        var limit: Int?

        @Option(help: ArgumentHelp("Only events of this type (repeatable), e.g. task.updated.", valueName: "type"))
        var type: [String] = []

        @Option(help: ArgumentHelp("Only the events of this service (by name or id): its spec changes and its tasks.", valueName: "name"))
        var service: String?

        @Flag(help: "Print the events as a JSON array (each with `names`: {id: name} for the ids its data holds).")
        var json = false

        func validate() throws {
            if after < 0 { throw ValidationError("--after must be 0 or more") }
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
            for name in type where EventType(rawValue: name) == nil {
                let known = EventType.allCases.map(\.rawValue)
                let near = Suggestion.closest(to: name, in: known).map { "; did you mean \($0)?" } ?? ""
                throw ValidationError("--type \"\(name)\" is not an event type (\(known.joined(separator: ", ")))\(near)")
            }
        }

        func run() throws {
            let log = try global.openLog(create: false)
            // --seq/--at: the log as it stood then (events up to that point).
            let last = point.seq == nil && point.at == nil ? try log.lastSeq() : try point.resolve(in: log).seq
            var table = Table("SEQ", "LOG TIME", "TIME", "TYPE", "ID", "WHAT")
            var output = JSONArrayStream(json: json)
            let wanted = Set(type.compactMap(EventType.init(rawValue:)))
            let ofService = try service.map { try ServiceEvents(log: log, service: $0, through: last) }
            func selected(_ event: StoredEvent, _ typed: ClusterEvent?) -> Bool {
                (wanted.isEmpty || wanted.contains(event.type)) && (ofService.map { typed.map($0.contains) ?? false } ?? true)
            }
            // Names as they stood before the first event listed, learning every event on the way.
            var names = try log.names(after: after, through: after)
            let rows = ListLimit.rows(limit, json: json) ?? .max
            var shown = 0
            var cursor = after
            listing: while cursor < last {
                let page = try log.events(after: cursor, limit: Int(min(1_000, last - cursor)))
                if page.isEmpty { break }
                for event in page {
                    if shown == rows { break listing }
                    cursor = event.seq
                    let typed = try? event.clusterEvent
                    if let typed { names.learn(typed) }
                    guard selected(event, typed) else { continue }
                    shown += 1
                    if json {
                        output.element(try event.json(names: names, typed: typed))
                    } else {
                        // The event's own time only where it differs from its log time (an earlier time, moved up).
                        table.add(String(event.seq), event.logTime.rfc3339, event.time == event.logTime ? "=" : event.time.rfc3339,
                                  event.type.rawValue, event.id, typed?.summary(names: names) ?? "-")
                    }
                }
            }
            if json { output.finish() } else { print(table.rows.isEmpty ? "No events." : table.rendered) }
            if shown == rows && cursor < last {
                ListLimit.noteLeftOut(try leftOut(after: cursor, through: last, log: log, selected: selected), "events",
                                      more: "--after \(cursor) the next ones")
            }
        }

        /// How many selected events come after `cursor`: counted by the store unless a service filter must read them.
        private func leftOut(after cursor: Seq, through last: Seq, log: EventLog,
                             selected: (StoredEvent, ClusterEvent?) -> Bool) throws -> Int {
            guard service != nil else {
                return try log.countEvents(after: cursor, through: last, types: Set(type.compactMap(EventType.init(rawValue:))))
            }
            var count = 0
            var position = cursor
            while position < last {
                let page = try log.events(after: position, limit: Int(min(1_000, last - position)))
                guard let end = page.last else { break }
                count += page.count { selected($0, try? $0.clusterEvent) }
                position = end.seq
            }
            return count
        }
    }
}

/// Which events are a service's: its spec events (it is named or identified by `service`) and those of its
/// tasks, found in one pass over the log.
struct ServiceEvents {
    private var services: Set<ServiceID> = []
    private var tasks: Set<TaskID> = []

    init(log: EventLog, service: String, through last: Seq) throws {
        try log.replay(through: last == .max ? nil : last) { event in
            switch event.event {
            case .serviceCreated(let spec), .serviceUpdated(let spec):
                if spec.name == service || spec.id.rawValue == service { services.insert(spec.id) }
            case .taskUpdated(let task):
                if services.contains(task.serviceID) { tasks.insert(task.id) }
            default:
                break
            }
        }
    }

    func contains(_ event: ClusterEvent) -> Bool {
        switch event {
        case .serviceCreated(let spec), .serviceUpdated(let spec): return services.contains(spec.id)
        case .serviceRemoved(let id): return services.contains(id)
        case .taskUpdated(let task): return tasks.contains(task.id)
        case .taskRemoved(let id): return tasks.contains(id)
        default: return false
        }
    }
}

/// Streams a JSON array to stdout, one element a line, so huge listings never sit in memory.
struct JSONArrayStream {
    let json: Bool
    private var count = 0

    init(json: Bool) { self.json = json }

    mutating func element(_ value: JSONValue) {
        print(count == 0 ? "[" : ",", terminator: "")
        print(value.formatted(pretty: false))
        count += 1
    }

    func finish() { print(count == 0 ? "[]" : "]") }
}
