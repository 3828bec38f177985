import ArgumentParser
import Dispatch
import Foundation
import Logging
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerDocker
import RouteLedgerIngest
import RouteLedgerStore

extension RouteLedger {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep the log in step with a cluster.",
            subcommands: [DockerSwarm.self])
    }
}

extension RouteLedger.Ingest {
    struct DockerSwarm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "docker",
            abstract: "Follow a Docker Swarm cluster: list its networks, services and tasks, append what changed.",
            discussion: """
                Swarm has no task events and its event stream loses events (256 are buffered, none survive a \
                daemon restart), so, like Interlock and Traefik, the ingest lists: networks, services, tasks, \
                on start, every --interval, and soon after each service, network or task-container event. \
                The differences with the log's folded state become events (network.*, service.* with the \
                whole spec, task.updated, task.removed), appended atomically, in that order.

                Event ids come from the Docker object and its Version.Index \
                (docker:task.updated:<ID>:v<Index>), so listing the same cluster again — twice, or after a \
                restart — appends nothing. docs/INGEST.md explains the ids, the order and what ingest cannot \
                see.

                Talk to a Swarm manager. The daemon is --host, else $DOCKER_HOST, else \
                unix:///var/run/docker.sock; plain TCP (tcp://HOST:2375) works, TLS and ssh:// do not (tunnel \
                them to a local socket).

                Without --once it runs until SIGINT or SIGTERM, prints one line per round that changed \
                something, and, when the daemon goes away, warns and retries, waiting 1 s, 2 s, … up to 30 s. \
                With --once an unreachable daemon is an error (exit 1).

                Examples:
                  routeledger ingest docker --once
                  routeledger ingest docker --host unix:///var/run/docker.sock --interval 3s
                  routeledger ingest docker --host tcp://manager-1:2375 --log-level info
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The Docker daemon (a Swarm manager).", discussion: "unix:///PATH or tcp://HOST:PORT. Default: $DOCKER_HOST, else unix:///var/run/docker.sock.", valueName: "url"))
        var host: String?

        @Option(help: ArgumentHelp("Time between list rounds when no event comes, e.g. 3s, 500ms.", valueName: "duration"))
        var interval: String = "3s"

        @Option(help: ArgumentHelp("The longest one request to the daemon may take.", valueName: "duration"))
        var timeout: String = "30s"

        @Flag(help: "List once, append what changed, and exit.")
        var once = false

        @Flag(help: "With --once: print the result as JSON.")
        var json = false

        func validate() throws {
            for (name, value) in [("--interval", interval), ("--timeout", timeout)] {
                guard let nanoseconds = DurationText.nanoseconds(value), nanoseconds > 0 else {
                    throw ValidationError("\(name) \"\(value)\" is not a positive duration (e.g. 3s, 500ms)")
                }
            }
            if json && !once { throw ValidationError("--json goes with --once") }
        }

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 }
            let endpoint = try host.map(DockerEndpoint.init) ?? environment.map(DockerEndpoint.init) ?? .defaultSocket
            let client = DockerClient(endpoint: endpoint, timeout: .nanoseconds(DurationText.nanoseconds(timeout)!))
            if once {
                // Reach the daemon before touching the database: a wrong --host creates no file.
                let connection = try await client.negotiate()
                let ingest = try makeIngest(client)
                let (_, round) = try await ingest.runOnce(connection)
                for note in round.skipped { Terminal.error("warning: \(note)") }
                if json {
                    print(Self.json(round, connection).formatted(pretty: false))
                } else {
                    print("Docker \(connection.daemon.engineVersion ?? "") at \(endpoint), API \(connection.api): \(round.summary)")
                }
                return
            }
            let ingest = try makeIngest(client)
            Terminal.error("following the Docker daemon at \(endpoint), listing every \(interval) and on its events; SIGINT or SIGTERM stops")
            try await Daemon.run(logger: ingest.logger) {
                await ingest.run(onRound: { round in
                    guard !round.events.isEmpty else { return }
                    // Unbuffered, so that a pipe (a log collector) sees each round as it happens.
                    FileHandle.standardOutput.write(Data("\(DockerIngest.systemClock().rfc3339)  \(round.summary)\n".utf8))
                })
            }
            Terminal.error("stopped")
        }

        private func makeIngest(_ client: DockerClient) throws -> DockerIngest {
            let log = try global.openLog(create: true)
            var logger = Logger(label: "routeledger.ingest")
            logger.logLevel = global.logLevel
            return DockerIngest(client: client, journal: StoreJournal(log: log),
                                settings: IngestSettings(interval: .nanoseconds(DurationText.nanoseconds(interval)!)), logger: logger)
        }

        static func json(_ round: IngestRound, _ connection: DockerConnection) -> JSONValue {
            .object([
                JSONMember("engine", connection.daemon.engineVersion.map(JSONValue.string) ?? .null),
                JSONMember("api", .string(connection.api.description)),
                JSONMember("listed", .object([
                    JSONMember("networks", .number(String(round.listed.networks))),
                    JSONMember("services", .number(String(round.listed.services))),
                    JSONMember("tasks", .number(String(round.listed.tasks))),
                ])),
                JSONMember("appended", .number(String(round.append.appended))),
                JSONMember("duplicates", .number(String(round.append.duplicates))),
                JSONMember("lastSeq", .number(String(round.append.lastSeq))),
                JSONMember("events", .array(round.events.map { .string($0.id) })),
                JSONMember("skipped", .array(round.skipped.map(JSONValue.string))),
            ])
        }
    }
}
