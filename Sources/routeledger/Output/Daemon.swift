import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// How the long-running commands (`ingest docker`, `agent`) run: their work as a service of a
/// swift-service-lifecycle `ServiceGroup`. SIGTERM or SIGINT starts a graceful shutdown, which cancels the
/// work (the ingest and the agent stop at their next wait; an append in progress completes); a second signal
/// while it stops exits at once with 128 + the signal's number, as a shell would.
enum Daemon {
    /// Runs `work` until it returns or a signal stops it.
    static func run(logger: Logger, _ work: @escaping @Sendable () async -> Void) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            // Shut down in reverse order: the work first, while the second-signal watch still listens.
            services: [
                .init(service: SecondSignal(signals: signals)),
                .init(service: Work(work: work), successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: signals, logger: logger))
        try await group.run()
    }

    static let signals: [UnixSignal] = [.sigterm, .sigint]

    /// The command's work, cancelled by a graceful shutdown.
    struct Work: Service {
        let work: @Sendable () async -> Void

        func run() async {
            await cancelWhenGracefulShutdown { await work() }
        }
    }

    /// Exits at the second of the signals it traps (the first starts the group's graceful shutdown); ends
    /// with the group's shutdown.
    struct SecondSignal: Service {
        let signals: [UnixSignal]

        func run() async {
            var received = 0
            for await signal in await UnixSignalsSequence(trapping: signals).cancelOnGracefulShutdown() {
                received += 1
                if received == 2 { exit(128 + signal.rawValue) }
            }
        }
    }
}
