import ArgumentParser
import Foundation
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerStore

extension RouteLedger {
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append events from a file or stdin, atomically.",
            discussion: """
                Input is JSON Lines (one event per line) or a JSON array of events, in event format v1:
                  {"id": "t1-run", "type": "task.removed", "time": "2026-11-27T10:00:03Z",
                   "data": {"taskId": "t1"}, "meta": {"source": "docker"}}
                Only type and data are required. The README lists every type and its data.

                All events are stored, or none: the first bad event is reported with its line (or array \
                index), field and reason, and nothing is written. An event whose id is already stored with \
                the same type and data is a no-op (a duplicate); the same id with other content is refused.

                Examples:
                  routeledger append data/01-default-backend.jsonl
                  cat events.jsonl | routeledger append --json | jq .lastSeq
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A JSON Lines or JSON array file; - for stdin.", valueName: "file"))
        var file: String = "-"

        @Option(help: ArgumentHelp("Durability: full (survives power loss) or normal (faster; may lose the last appends on power loss, never corrupts).", valueName: "mode"))
        var synchronous: Synchronous = .full

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            if file == "-" && Terminal.stdinIsTerminal {
                throw InputError("append reads events from stdin, which is a terminal; pass a file, or pipe events in")
            }
            let bytes = try Input.read(file)
            let log = try global.openLog(create: true, synchronous: synchronous)
            let showProgress = Terminal.stderrIsTerminal
            let result = try log.append(contentsOf: bytes, progress: showProgress ? { count in
                Terminal.progress("appending… \(count) events")
            } : nil)
            if showProgress { Terminal.endProgress() }
            for warning in Self.warnings(result.timeNotes) { Terminal.warning(warning) }
            if json {
                print(JSONValue.object([
                    JSONMember("appended", .number(String(result.appended))),
                    JSONMember("duplicates", .number(String(result.duplicates))),
                    JSONMember("lastSeq", .number(String(result.lastSeq))),
                ]).formatted(pretty: false))
            } else {
                print("appended \(result.appended) event\(result.appended == 1 ? "" : "s")"
                      + (result.duplicates > 0 ? ", \(result.duplicates) duplicate\(result.duplicates == 1 ? "" : "s") skipped" : "")
                      + "; last seq \(result.lastSeq)")
            }
        }
    }
}

extension RouteLedger.Append {
    /// One line for each kind of time in `notes` that moves or hides the log's clock.
    static func warnings(_ notes: TimeNotes) -> [String] {
        var lines: [String] = []
        if notes.untimedAfterTimed > 0 {
            let first = notes.firstUntimed.map { " (first: \($0))" } ?? ""
            lines.append("\(notes.untimedAfterTimed) event\(notes.untimedAfterTimed == 1 ? " has" : "s have") no time after events that had one\(first): "
                         + "each got the time it was recorded, and every later event with an earlier time got that as its log time; give every event a time")
        }
        if notes.behindLogTime > 0, let (location, by) = notes.firstBehind {
            let first = location.map { "first: \($0), " } ?? "first: "
            lines.append("\(notes.behindLogTime) event\(notes.behindLogTime == 1 ? "'s time is" : "s' times are") before the log time \(notes.behindLogTime == 1 ? "it" : "they") got "
                         + "(\(first)\(DurationText.approximate(by)) behind): --at finds them at their log time (`events` shows both times)")
        }
        return lines
    }
}

/// Reading command input.
enum Input {
    /// The bytes of `path`, or of stdin for `-`.
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" {
            return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError("cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
        }
        defer { try? handle.close() }
        return [UInt8](handle.readDataToEndOfFile())
    }
}

/// Bad input to a command (a file, an option value): one line on stderr, exit 1.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
