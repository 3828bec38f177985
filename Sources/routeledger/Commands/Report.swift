import ArgumentParser
import Foundation
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore
import RouteLedgerWeb

extension RouteLedger {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained HTML report of hosts' routing history, for a postmortem.",
            discussion: """
                One file, with its styles inline and no script: nothing is fetched when it is opened, \
                from disk or attached to a ticket. For each host: its upstreams as lanes over the range \
                (one per upstream address, labelled with task and share, canaries striped), a marker per \
                reload, each reload's story (the events that caused it, what changed, which proxies \
                applied or refused it), and the same in plain tables. The page `serve` answers at / \
                shows the same, live.

                --from and --to take a position (a seq) or an RFC 3339 time; without --from the range \
                starts 50 reloads of the host back, without --to it ends at the end of the log. Without \
                --host every host of the cluster is in the report. The file is written beside OUT and \
                renamed into place, so a failed run leaves nothing half-written. Progress goes to stderr.

                Examples:
                  routeledger report --html incident-812.html --host shop.local --from 2026-11-27T03:00:00Z --to 2026-11-27T03:30:00Z
                  routeledger report --html all-hosts.html --cluster edge
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The file to write.", valueName: "path"))
        var html: String

        @Option(help: ArgumentHelp("Where the range starts: a seq or an RFC 3339 time (default: 50 reloads of the host back).", valueName: "seq|time"))
        var from: String?

        @Option(help: ArgumentHelp("Where the range ends: a seq or an RFC 3339 time (default: the end of the log).", valueName: "seq|time"))
        var to: String?

        @Option(help: ArgumentHelp("Only this host (default: every host of the cluster).", valueName: "host"))
        var host: String?

        @Option(help: ArgumentHelp("The service cluster (\"_\" is the default cluster).", valueName: "name"))
        var cluster = "_"

        func run() throws {
            let directory = URL(fileURLWithPath: html).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: directory) else { throw InputError("the directory of --html \(html) does not exist") }
            let log = try global.openLog(create: false)
            let reader = HistoryReader(log: log)
            let cluster = ClusterName.parse(self.cluster)
            let from: LogPoint?, to: LogPoint?
            func point(_ text: String?, _ option: String) throws -> LogPoint? {
                do {
                    return try reader.point(text, name: option)
                } catch let error as PointError {
                    throw InputError("\(option) \(text ?? ""): " + error.description.replacingOccurrences(of: "\(option)=\(text ?? "") ", with: ""))
                }
            }
            (from, to) = (try point(self.from, "--from"), try point(self.to, "--to"))
            if let from, let to, from.seq > to.seq { throw InputError("--from (seq \(from.seq)) is after --to (seq \(to.seq))") }
            let known = try reader.hosts().hosts.filter { $0.cluster == cluster }.map(\.host)
            let hosts: [String]
            if let host {
                hosts = [host.lowercased()]
            } else {
                hosts = known
                guard !hosts.isEmpty else { throw InputError("\(ClusterName.display(cluster) == "_" ? "the default service cluster" : "service cluster \(cluster)") routes no host now; name one with --host") }
            }
            var timelines: [HostTimeline] = []
            var stories: [Int: JSONValue] = [:]
            for (index, name) in hosts.enumerated() {
                let range = try reader.range(host: name, cluster: cluster, from: from, to: to)
                let (timeline, told) = try reader.timeline(host: name, cluster: cluster, from: range.from, to: range.to)
                if hosts.count > 1 || range.to.seq - range.from.seq > 10_000 {
                    Terminal.note("report: \(name) (\(index + 1) of \(hosts.count)): seq \(range.from.seq)–\(range.to.seq), \(timeline.markers.count) reloads")
                }
                timelines.append(timeline)
                stories.merge(told) { first, _ in first }
            }
            if host != nil, timelines.allSatisfy({ $0.lanes.isEmpty && $0.markers.isEmpty }) {
                Terminal.note("\(hosts[0]) had no upstream and no reload in the range")
            }
            let command = (["routeledger"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            let document = TimelineDocument(mode: .report(generatedBy: command), timelines: timelines, stories: stories, lastSeq: try log.lastSeq())
            try Self.write(document.render(), to: html)
            Terminal.note("wrote \(html): \(timelines.count) host\(timelines.count == 1 ? "" : "s"), \(timelines.reduce(0) { $0 + $1.markers.count }) reloads")
        }

        /// Writes `text` beside `path` and renames it into place.
        static func write(_ text: String, to path: String) throws {
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: directory.path) else { throw InputError("the directory of --html \(path) does not exist") }
            let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
            do {
                try Data(text.utf8).write(to: temporary)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw InputError("cannot write \(path): \(error.localizedDescription)")
            }
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw InputError("cannot write \(path): \(reason)")
            }
        }
    }
}
