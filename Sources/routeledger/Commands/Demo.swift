import ArgumentParser
import Foundation
import RouteLedgerCore
import RouteLedgerStore

extension RouteLedger {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the example scenarios of data/ into a fresh database and tell their story.",
            discussion: """
                Uses a new temporary database unless --db is given (which must not hold events yet). \
                Each scenario is appended atomically; then each event is shown with what it did to the \
                proxies (a reload and its change, or absorbed and why), and the routes with their shares.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The folder holding the scenario files (*.jsonl).", discussion: "Default: ./data, else the data/ folder of the source checkout.", valueName: "dir"))
        var data: String?

        func run() throws {
            let folder = try DemoData.folder(data)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { $0.hasSuffix(".jsonl") }.sorted()
            guard !files.isEmpty else { throw InputError("no scenario files (*.jsonl) in \(folder)") }

            var options = global
            if options.db == nil {
                options.db = NSTemporaryDirectory() + "routeledger-demo-\(ProcessInfo.processInfo.processIdentifier)-\(Int(Date().timeIntervalSince1970)).db"
            }
            let log = try options.openLog(create: true)
            guard try log.lastSeq() == 0 else {
                throw InputError("\(log.path) already holds events; the demo needs a fresh database (omit --db to use a temporary one)")
            }
            print("RouteLedger demo: \(files.count) scenarios from \(folder) into \(log.path)\n")

            // The same projection the store keeps, with the reasons for absorbed events that it does not store.
            var projection = ReloadProjection(settings: try log.reloadSettings())
            var names = NameBook()
            for file in files {
                let result = try log.append(contentsOf: try Input.read(folder + "/" + file))
                print(String(repeating: "=", count: 78))
                print(DemoData.title(file))
                print(String(repeating: "=", count: 78))
                if let story = DemoData.stories[file] { print(story + "\n") }
                let first = (result.positions.first ?? 1) - 1
                for event in try log.events(after: first, limit: result.appended) {
                    let typed = try event.clusterEvent
                    let step = projection.apply(RecordedEvent(seq: event.seq, id: event.id, time: event.time,
                                                              logTime: event.logTime, event: typed))
                    names.learn(typed)
                    print("seq \(event.seq)  \(typed.summary(names: names))")
                    if case .absorbed(let reason) = step.effects[event.seq] { print("        -> absorbed: \(reason)") }
                    for reload in step.reloads {
                        print("        -> reload \(reload.id): " + DiffText.lines(reload.diff, names: names).joined(separator: "; "))
                    }
                }
                print()
                print(RoutingTable.render(projection.routing.view, at: "seq \(result.lastSeq)", names: NameBook(projection.routing.state)))
                print()
            }
            print("""
                Explore it yourself:
                  routeledger routes --db \(log.path)
                  routeledger routes --db \(log.path) --seq 5
                  routeledger reloads --db \(log.path)
                  routeledger why 7 --db \(log.path)
                  routeledger events --db \(log.path) --json | jq '.[] | {seq, type}'
                  routeledger verify --db \(log.path)
                  routeledger render nginx --db \(log.path)
                  routeledger serve --db \(log.path)    # then: curl -s localhost:7420/v1/clusters/_/nginx.conf
                """)
        }
    }
}

/// The demo's scenario folder and the words around it.
enum DemoData {
    static func folder(_ explicit: String?) throws -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else { throw InputError("no folder \(explicit)") }
            return explicit
        }
        if FileManager.default.fileExists(atPath: "data/01-default-backend.jsonl") { return "data" }
        // `swift run` from elsewhere: the checkout this binary was built from.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data").path
        if FileManager.default.fileExists(atPath: checkout) { return checkout }
        throw InputError("cannot find the data/ folder; run from the repository root or pass --data DIR")
    }

    static func title(_ file: String) -> String {
        titles[file] ?? file
    }

    static let titles = [
        "01-default-backend.jsonl": "1. A default backend: demo-default answers every host nobody claims",
        "02-vip-demo.jsonl": "2. VIP mode: demo.local through the service VIP 10.0.2.9",
        "03-canary-task.jsonl": "3. A canary in task mode: one task next to four gets 1/5 = 20%",
        "04-canary-vip.jsonl": "4. A canary in vip mode: one service next to one gets 1/2 = 50%",
    ]

    static let stories = [
        "01-default-backend.jsonl": "An overlay network `demo`, then a service labelled default_backend=true, port 8080.\nIts task starts, then runs: only the running task becomes an upstream.",
        "02-vip-demo.jsonl": "demo runs 4 replicas in vip mode. The proxy sees one upstream, the VIP, from the service's\ncreation on, before any task runs: the VIP lives as long as the service. Its tasks, scaling to 6,\nnew env and a sticky cookie (ignored in vip mode) change nothing it sees.",
        "03-canary-task.jsonl": "shop runs 4 tasks in task mode on shop.local; shop-canary joins the same host with 1 task.\nEvery task is an upstream with an equal share.",
        "04-canary-vip.jsonl": "api runs 4 tasks in vip mode on api.local; api-canary joins with 1 task, also in vip mode.\nEach service is one upstream (its VIP), so the canary gets half the requests.",
    ]
}
