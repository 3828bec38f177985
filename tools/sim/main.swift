import ArgumentParser
import Foundation
import RouteLedgerSimulator

/// `routeledger-sim`: the seeded churn simulator as a command, writing RouteLedger events as JSON Lines.
@main
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routeledger-sim",
        abstract: "Write a deterministic Docker Swarm churn history as RouteLedger events (JSON Lines).",
        discussion: """
            The history starts with the networks, every service (task and vip backend modes, canaries \
            sharing a host with the service they test) and its running tasks; then churn, several operations \
            in flight at once: rolling restarts and image or env updates (drain, stop, remove, start; stop-first \
            or start-first), failures and reschedules (failed, completed, orphaned, rejected attempts), scaling \
            up and down (sometimes to zero), sticky-cookie, port, backend-mode and broken-label changes and \
            their repair, network attach and detach, service remove-and-recreate, short-lived networks; with \
            --canary-rollouts also canaries rolled out on a service's hosts and removed again.

            The same options always give the same bytes: no clock, no randomness but the seed. Output is \
            written as it is generated, so any length (1k to 10M events and more) runs in bounded memory.

            Examples:
              routeledger-sim --events 1000 --seed 42 --services 20 --out data/simulated/churn-1k.jsonl
              routeledger-sim --events 10000000 --seed 7 | routeledger append --synchronous normal
            """)

    @Option(help: ArgumentHelp("How many events to write.", valueName: "n"))
    var events: Int

    @Option(help: ArgumentHelp("The seed of the generator.", valueName: "n"))
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Services in the cluster.", valueName: "n"))
    var services: Int = 200

    @Option(help: ArgumentHelp("Overlay networks (1 to 200); an ingress network is always added.", valueName: "n"))
    var networks: Int = 4

    @Option(help: ArgumentHelp("Share of published services in vip backend mode, 0 to 1.", valueName: "fraction"))
    var vipFraction: Double = 0.3

    @Option(help: ArgumentHelp("Share of services that are canaries of another's host, 0 to 1.", valueName: "fraction"))
    var sharedHostFraction: Double = 0.2

    @Option(help: ArgumentHelp("Prefix of event ids; give logs meant for one store different prefixes.", valueName: "text"))
    var idPrefix: String = "ev-"

    @Flag(help: "Also roll canaries out and back (a one-task service on another's hosts, then drained and removed). Off: the same bytes as earlier versions for the same options.")
    var canaryRollouts = false

    func validate() throws {
        guard events >= 0 else { throw ValidationError("--events must be 0 or more") }
        guard services >= 1 else { throw ValidationError("--services must be at least 1") }
        guard (1...200).contains(networks) else { throw ValidationError("--networks must be 1 to 200") }
        for (name, value) in [("--vip-fraction", vipFraction), ("--shared-host-fraction", sharedHostFraction)] where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        guard !idPrefix.isEmpty, idPrefix.utf8.count <= 150 else { throw ValidationError("--id-prefix must be 1 to 150 characters") }
    }

    func run() throws {
        let output: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw ValidationError("cannot write \(out)")
            }
            output = handle
        } else {
            output = FileHandle.standardOutput
        }
        defer { if out != nil { try? output.close() } }
        var simulator = ChurnSimulator(ChurnConfiguration(seed: seed, services: services, networks: networks, vipFraction: vipFraction,
                                                          sharedHostFraction: sharedHostFraction, eventIDPrefix: idPrefix,
                                                          canaryRollouts: canaryRollouts))
        let flushAt = 1 << 20
        var buffer: [UInt8] = []
        buffer.reserveCapacity(flushAt + 4096)
        var bytes = 0
        for _ in 0..<events {
            simulator.nextLine(into: &buffer)
            if buffer.count >= flushAt {
                try output.write(contentsOf: buffer)
                bytes += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try output.write(contentsOf: buffer)
        bytes += buffer.count
        if let out {
            FileHandle.standardError.write(Data("routeledger-sim: wrote \(events) events (\(bytes) bytes) to \(out)\n".utf8))
        }
    }
}
