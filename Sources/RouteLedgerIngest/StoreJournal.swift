import RouteLedgerCore
import RouteLedgerDocker
import RouteLedgerStore

/// The event log as the Docker ingest's journal: the one adapter between the two, used by the CLI, the
/// tests and the benchmark (the Docker target never imports the Store).
public struct StoreJournal: IngestJournal {
    public let log: EventLog

    public init(log: EventLog) { self.log = log }

    public func currentState() throws -> (state: ClusterState, position: Seq) {
        let (state, seq) = try log.clusterState()
        return (state, seq)
    }

    public func fold(after position: Seq, into state: inout ClusterState) throws -> Seq {
        try log.fold(after: position, into: &state)
    }

    public func append(_ events: [IngestEvent]) throws -> IngestAppend {
        let result = try log.append(contentsOf: events.jsonLines)
        return IngestAppend(appended: result.appended, duplicates: result.duplicates, lastSeq: result.lastSeq)
    }
}
