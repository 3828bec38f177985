import ArgumentParser
import RouteLedgerCore
import RouteLedgerStore

/// A point given as a position (`812`) or a time (`2026-11-27T03:12:00Z`).
struct PointArgument: ExpressibleByArgument {
    enum Kind { case seq(Int64), time(Timestamp) }
    let kind: Kind

    init?(argument: String) {
        if let seq = Int64(argument), seq >= 0 { kind = .seq(seq) } else if let time = TimeArgument.parse(argument) { kind = .time(time) } else { return nil }
    }

    func resolve(in log: EventLog) throws -> LogPoint {
        switch kind {
        case .seq(let seq): try log.point(seq: seq)
        case .time(let time): try log.point(at: time)
        }
    }
}

/// `--from A --to B`: a window of the log, the same for `diff` and `replay`: the events from A through B,
/// both included. A seq is that event; a time takes the events whose log time is within it.
struct RangeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The window's start, included: a seq or an RFC 3339 time.", valueName: "A"))
    var from: PointArgument

    @Option(help: ArgumentHelp("The window's end, included: a seq or an RFC 3339 time.", valueName: "B"))
    var to: PointArgument

    /// The positions of the window's first and last events; `first > last` for a window holding none (one
    /// after the log, or between two events).
    func window(in log: EventLog) throws -> (first: Seq, last: Seq) {
        let first: Seq
        switch from.kind {
        case .seq(let seq): first = max(1, try log.point(seq: seq).seq)
        case .time(let time): first = try log.seq(atOrBefore: Timestamp(nanosecondsSinceEpoch: time.nanosecondsSinceEpoch - 1)) + 1
        }
        let last = try to.resolve(in: log).seq
        if case .seq = from.kind, case .seq = to.kind, first > last {
            throw InputError("--from (seq \(first)) is after --to (seq \(last))")
        }
        if case .time(let a) = from.kind, case .time(let b) = to.kind, a > b {
            throw InputError("--from (\(a.rfc3339)) is after --to (\(b.rfc3339))")
        }
        return (first, last)
    }
}
