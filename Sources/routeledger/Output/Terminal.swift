import Foundation

/// Writing to the terminal: stdout for results, stderr for errors and progress.
enum Terminal {
    /// Whether stderr is a terminal (progress is shown only then).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Whether stdin is a terminal (nothing is piped in).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Whether stdout is a terminal.
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// One line on stderr, prefixed with the program name.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("routeledger: \(message)\n".utf8))
    }

    /// One line on stderr about something the operator should look at; the command did its work.
    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("routeledger: warning: \(message)\n".utf8))
    }

    /// One line on stderr that qualifies a result without failing the command.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("routeledger: note: \(message)\n".utf8))
    }

    /// A transient progress line on stderr (overwritten by the next).
    static func progress(_ message: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[K\(message)".utf8))
    }

    /// Ends a progress line.
    static func endProgress() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Columns padded to their widest cell plus two spaces; the last column unpadded, no trailing spaces.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func add(_ cells: String...) { rows.append(cells) }
    mutating func add(_ cells: [String]) { rows.append(cells) }

    var rendered: String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (i, cell) in cells.enumerated() {
                if i == cells.count - 1 { text += cell } else { text += cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }
            }
            return text.trimmingTrailingSpaces
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
