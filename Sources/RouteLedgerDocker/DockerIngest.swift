import Foundation
import Logging
import NIOPosix
import RouteLedgerCore

/// The event log as the ingest sees it. The CLI implements it over the store; this module does not import it.
public protocol IngestJournal: Sendable {
    /// The cluster state folded through the end of the log, and that position.
    func currentState() throws -> (state: ClusterState, position: Seq)
    /// Folds the events stored after `position` (by this ingest or any other writer) into `state`; returns the
    /// position of the last one.
    func fold(after position: Seq, into state: inout ClusterState) throws -> Seq
    /// Appends the events atomically, in order. An id already stored with the same content is a duplicate.
    func append(_ events: [IngestEvent]) throws -> IngestAppend
}

/// What an append of ingest events did.
public struct IngestAppend: Sendable, Hashable {
    /// Events newly stored.
    public var appended: Int
    /// Events whose id was already stored with the same content.
    public var duplicates: Int
    /// The last position of the log afterwards.
    public var lastSeq: Seq

    public init(appended: Int, duplicates: Int, lastSeq: Seq) {
        self.appended = appended
        self.duplicates = duplicates
        self.lastSeq = lastSeq
    }
}

/// One list round: what the daemon listed and what it changed in the log.
public struct IngestRound: Sendable {
    /// Networks (of every scope), services and tasks listed.
    public var listed: (networks: Int, services: Int, tasks: Int)
    /// The events the reconciler derived, in append order.
    public var events: [IngestEvent]
    /// Events newly stored, and repeats of stored ones.
    public var append: IngestAppend
    /// Objects left out of the listing (``DockerListing/skipped``).
    public var skipped: [String]
    /// Whether a task was on its way up or down (``DockerListing/hasTasksInTransition``).
    public var inTransition: Bool

    /// `listed 3 networks, 2 services, 5 tasks; appended 9 events (…); last seq 9`.
    public var summary: String {
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        var text = "listed \(count(listed.networks, "network")), \(count(listed.services, "service")), \(count(listed.tasks, "task")); "
        if events.isEmpty { return text + "no change; last seq \(append.lastSeq)" }
        var counts: [EventType: Int] = [:]
        for event in events { counts[event.event.type, default: 0] += 1 }
        let kinds = EventType.allCases.compactMap { type in counts[type].map { "\($0) \(type)" } }.joined(separator: ", ")
        text += "appended \(count(append.appended, "event")) (\(kinds))"
        if append.duplicates > 0 { text += ", \(append.duplicates) already stored" }
        return text + "; last seq \(append.lastSeq)"
    }
}

/// How the ingest paces itself.
public struct IngestSettings: Sendable {
    /// Time between list rounds when no event comes (Interlock lists every 3 s).
    public var interval: Duration
    /// The shortest time between the starts of two rounds, so a burst of events costs one round, not many.
    public var minimumGap: Duration
    /// The first wait after a round that saw a task on its way up or down; doubled while that goes on and
    /// nothing changes, up to ``interval``.
    public var settleInterval: Duration
    /// The first wait after the daemon fails; doubled after each failure up to ``maximumBackoff``.
    public var initialBackoff: Duration
    /// The longest wait between reconnection attempts.
    public var maximumBackoff: Duration
    /// The `/events` types that hint a change (the listing, not the event, says what changed).
    public var eventTypes: [String]

    /// Creates settings; the defaults are the CLI's.
    public init(interval: Duration = .seconds(3), minimumGap: Duration = .milliseconds(250), settleInterval: Duration = .milliseconds(500),
                initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(30),
                eventTypes: [String] = ["service", "network", "container"]) {
        self.interval = interval
        self.minimumGap = minimumGap
        self.settleInterval = settleInterval
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.eventTypes = eventTypes
    }
}

/// The daemon the ingest talks to, after version negotiation.
public struct DockerConnection: Sendable, Hashable {
    /// What `GET /version` said.
    public var daemon: DockerVersionInfo
    /// The newest both sides know (`DockerAPIVersion.negotiate(with:)`), in every path but `/version`'s.
    public var api: DockerAPIVersion
    /// Whether that version is one this client was checked against.
    public var tested: Bool
}

/// Keeps the event log in step with a Swarm cluster: lists networks, services and tasks, turns the differences
/// with the folded state into events (``Reconciler``) and appends them.
///
/// Swarm has no task events and its event stream is lossy (a 256-event buffer, lost when the daemon
/// restarts), so the listing is the truth and `/events` only a hint to list early: a dropped stream delays a
/// change by at most one interval, never loses it.
public struct DockerIngest: Sendable {
    public let client: DockerClient
    public let journal: any IngestJournal
    public var settings: IngestSettings
    /// Where rounds, reconnections and skipped objects are reported.
    public var logger: Logger
    /// The time a listing is observed at (the time of removals).
    let clock: @Sendable () -> Timestamp

    public init(client: DockerClient, journal: any IngestJournal, settings: IngestSettings = IngestSettings(),
                logger: Logger = Logger(label: "routeledger.ingest"), clock: @escaping @Sendable () -> Timestamp = DockerIngest.systemClock) {
        self.client = client
        self.journal = journal
        self.settings = settings
        self.logger = logger
        self.clock = clock
    }

    /// The system's time now: the `clock` unless a test gives another.
    @Sendable public static func systemClock() -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1e9).rounded()))
    }

    /// The folded state the ingest compares listings with, and the log position it reflects.
    struct Mirror: Sendable {
        var state: ClusterState
        var position: Seq
    }

    // MARK: - One round

    /// One round, as `ingest docker --once` runs it: list, reconcile, append (after connecting, unless
    /// `connection` is given).
    public func runOnce(_ connection: DockerConnection? = nil) async throws -> (DockerConnection, IngestRound) {
        var resolved: DockerConnection
        if let connection { resolved = connection } else { resolved = try await client.negotiate() }
        var mirror: Mirror?
        return (resolved, try await round(resolved.api, &mirror))
    }

    /// Lists, folds what the log gained since `mirror`, reconciles, appends, and folds the appended events.
    func round(_ api: DockerAPIVersion, _ mirror: inout Mirror?) async throws -> IngestRound {
        let listing = try await client.listing(api: api)
        let observedAt = clock()
        // Folding, reconciling and appending are blocking SQLite and CPU work: on NIO's blocking-I/O threads,
        // never on the cooperative pool (as many threads as cores). Once started, an append completes.
        let (current, round) = try await NIOThreadPool.singleton.runIfActive { [journal, mirror] in
            try Self.record(listing, observedAt: observedAt, since: mirror, in: journal)
        }
        mirror = current
        return round
    }

    /// Folds what the log gained since `mirror`, reconciles `listing` with it, appends the events that
    /// reconciling gives, and folds them.
    private static func record(_ listing: DockerListing, observedAt: Timestamp, since mirror: Mirror?,
                               in journal: any IngestJournal) throws -> (Mirror, IngestRound) {
        var current: Mirror
        if let mirror {
            current = mirror
            current.position = try journal.fold(after: mirror.position, into: &current.state)
        } else {
            let (state, position) = try journal.currentState()
            current = Mirror(state: state, position: position)
        }
        let events = Reconciler.events(for: listing, against: current.state, through: current.position, observedAt: observedAt)
        var append = IngestAppend(appended: 0, duplicates: 0, lastSeq: current.position)
        if !events.isEmpty {
            append = try journal.append(events)
            current.position = try journal.fold(after: current.position, into: &current.state)
        }
        return (current, IngestRound(listed: (listing.networks.count, listing.services.count, listing.tasks.count),
                                     events: events, append: append, skipped: listing.skipped,
                                     inTransition: listing.hasTasksInTransition))
    }

    // MARK: - Following the cluster

    /// Lists on start, every ``IngestSettings/interval`` and soon after each relevant `/events` message;
    /// while a task is on its way up or down, again after ``IngestSettings/settleInterval`` (doubling up to
    /// the interval while nothing changes), because Swarm sends no event when a task reaches `running`.
    /// Reconnects after the daemon goes away, waiting longer after each failure (logged as warnings).
    /// Returns when the calling task is cancelled (SIGINT/SIGTERM in the CLI); an append in progress
    /// completes first.
    ///
    /// - Parameter onRound: called after each round (tests and progress output).
    public func run(onRound: @escaping @Sendable (IngestRound) -> Void = { _ in }) async {
        var backoff = settings.initialBackoff
        var failures = 0
        var mirror: Mirror?
        var reported = Set<String>()
        while !Task.isCancelled {
            do {
                let connection = try await client.negotiate()
                if failures > 0 {
                    logger.warning("reconnected to the Docker daemon", metadata: ["host": "\(client.endpoint)", "failedAttempts": "\(failures)"])
                }
                logger.info("following the Docker daemon", metadata: [
                    "host": "\(client.endpoint)", "engine": "\(connection.daemon.engineVersion ?? "?")", "api": "\(connection.api)",
                    "interval": "\(settings.interval)",
                ])
                if !connection.tested {
                    logger.warning("the daemon accepts no API version this RouteLedger was checked against; speaking \(connection.api)")
                }
                // Reasons to list: an event, the stream's reopening, the timer. One kept while a round runs
                // (newest, not a count), so a burst of them costs one more round.
                let (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await watch(connection.api, doorbell) }
                    var timer: Task<Void, Never>?
                    defer { timer?.cancel() }
                    var settle = settings.settleInterval
                    doorbell.yield()
                    for await _ in rings {
                        timer?.cancel()
                        let started = ContinuousClock.now
                        let round = try await round(connection.api, &mirror)
                        failures = 0
                        backoff = settings.initialBackoff
                        if reported.count > 10_000 { reported.removeAll() }  // bounded: a note may come back once more
                        for note in round.skipped where reported.insert(note).inserted { logger.warning("\(note)") }
                        if round.events.isEmpty {
                            logger.debug("\(round.summary)")
                        } else {
                            logger.info("\(round.summary)")
                        }
                        onRound(round)
                        var wait = settings.interval
                        if round.inTransition {
                            if !round.events.isEmpty { settle = settings.settleInterval }
                            wait = min(settle, settings.interval)
                            settle = min(settle * 2, settings.interval)
                        } else {
                            settle = settings.settleInterval
                        }
                        timer = Task { [wait] in
                            guard (try? await Task.sleep(for: wait)) != nil else { return }
                            doorbell.yield()
                        }
                        let gap = ContinuousClock.now - started
                        if gap < settings.minimumGap { try? await Task.sleep(for: settings.minimumGap - gap) }
                    }
                    group.cancelAll()
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                logger.warning("Docker ingest round failed; retrying", metadata: [
                    "error": "\(error)", "retryIn": "\(backoff)", "failedAttempts": "\(failures)",
                ])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, settings.maximumBackoff)
            }
        }
        logger.info("Docker ingest stopped")
    }

    /// Follows `/events` and rings the doorbell at each message that concerns Swarm, and when the stream
    /// comes back after a drop (what happened meanwhile is lost). Reopens a dropped stream with backoff.
    private func watch(_ api: DockerAPIVersion, _ doorbell: AsyncStream<Void>.Continuation) async {
        var backoff = settings.initialBackoff
        var attempt = 0
        while !Task.isCancelled {
            let reopening = attempt > 0
            attempt += 1
            do {
                try await client.watchEvents(api: api, types: settings.eventTypes, onOpen: { [logger] in
                    if reopening {
                        logger.info("Docker event stream reopened; listing again for what it missed")
                        doorbell.yield()
                    } else {
                        logger.debug("Docker event stream open")
                    }
                }, onMessage: { [logger] message in
                    logger.trace("Docker event", metadata: ["type": "\(message.type)", "action": "\(message.action)",
                                                            "id": "\(message.actorID ?? "")"])
                    if message.concernsSwarm { doorbell.yield() }
                })
                if Task.isCancelled { return }
                backoff = settings.initialBackoff
                logger.warning("Docker event stream ended; list rounds go on every \(settings.interval) while it reconnects")
            } catch {
                if Task.isCancelled { return }
                logger.warning("Docker event stream failed; list rounds go on while it reconnects",
                               metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, settings.maximumBackoff)
        }
    }
}
