import RouteLedgerCore

/// The folded cluster, for writers that decide from it (the Docker ingest compares its listings with it).
extension EventLog {
    /// The cluster state folded through the last event (the latest snapshot, then the events after it), and
    /// that position (0 for an empty log).
    public func clusterState() throws -> (state: ClusterState, seq: Seq) {
        let point = try point()
        return (try projection(through: point).state, point.seq)
    }

    /// Folds the events stored after `seq` into `state`, in log order, and returns the position of the last
    /// one (`seq` when there is none): how a reader that holds a state catches up with other writers.
    public func fold(after seq: Seq, into state: inout ClusterState) throws -> Seq {
        var last = seq
        try replay(after: seq) { event in
            state.apply(event.event, seq: event.seq)
            last = event.seq
        }
        return last
    }
}
