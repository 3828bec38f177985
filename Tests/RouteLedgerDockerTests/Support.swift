import DockerStandIn
import Foundation
import Logging
import NIOConcurrencyHelpers
import RouteLedgerCore
import RouteLedgerDocker
import RouteLedgerIngest
import RouteLedgerStore

/// The recorded cluster states (data/docker/states) and the files beside them.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let states = repository.appendingPathComponent("data/docker/states")

    /// The scripted states, in order.
    static let sequence = ["01-create", "02-scale-up", "03-rolling-update", "04-drain", "05-network-attach",
                           "06-service-removal", "07-scale-web"]

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: states.appendingPathComponent(path)))
    }

    /// A state's listing, read as the client reads it.
    static func listing(_ state: String) throws -> DockerListing {
        var listing = DockerListing()
        listing.networks = try MobyJSON.networks(try bytes(state + "/networks.json"))
        listing.services = try MobyJSON.services(try bytes(state + "/services.json"), skipped: &listing.skipped)
        listing.tasks = try MobyJSON.tasks(try bytes(state + "/tasks.json"), skipped: &listing.skipped)
        return listing
    }
}

/// A database file of its own for one test, removed when the test ends.
final class ScratchDatabase {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("routeledger-ingest-\(UUID().uuidString).db").path

    deinit {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func open() throws -> EventLog { try EventLog(path: path) }
}


/// A unix socket path short enough for `sockaddr_un` (temporary directories can be long).
func scratchSocketPath() -> String {
    "/tmp/rl-\(UUID().uuidString.prefix(8)).sock"
}

/// A stand-in daemon serving `state` of the fixtures, with the recorded `/version`.
func startStandIn(serving state: String? = "01-create") async throws -> DockerStandIn {
    let standIn = try await DockerStandIn.start(socketPath: scratchSocketPath())
    standIn.serve("/version", try Fixtures.bytes("version.json"))
    if let state { try standIn.serve(state: Fixtures.states.appendingPathComponent(state)) }
    return standIn
}

/// Log messages kept for assertions.
final class LogRecord: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var messages: [String] { lines.withLockedValue { $0 } }

    func logger(_ level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in RecordingHandler(record: self) }
        logger.logLevel = level
        return logger
    }

    func add(_ line: String) { lines.withLockedValue { $0.append(line) } }

    func contains(_ text: String) -> Bool { messages.contains { $0.contains(text) } }
}

struct RecordingHandler: LogHandler {
    let record: LogRecord
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
        record.add("\(event.level) \(event.message)\(details.isEmpty ? "" : " " + details)")
    }
}

/// Identifies a recorded event by its type and id, for readable expectations.
func describe(_ events: [IngestEvent]) -> [String] {
    events.map { "\($0.event.type) \($0.id)" }
}
