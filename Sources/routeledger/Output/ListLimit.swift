/// How a long list stays readable: a table shows at most `--limit` rows, the first of the selection
/// (``defaultRows`` unless given; 0 shows all), and a note on stderr says how many it left out and how to
/// see them. JSON is for scripts: it is complete unless `--limit` is given.
enum ListLimit {
    /// Rows a table shows when `--limit` is not given.
    static let defaultRows = 100

    /// The help of a `--limit` option.
    static let help = "At most N rows, the first of the selection (default \(defaultRows) in a table, all in JSON; 0: all)."

    /// The rows to show; nil for all.
    static func rows(_ limit: Int?, json: Bool) -> Int? {
        if let limit { return limit == 0 ? nil : limit }
        return json ? nil : defaultRows
    }

    /// Says on stderr that `count` more `things` matched than were shown, and how else to see them (`more`).
    static func noteLeftOut(_ count: Int, _ things: String, more: String) {
        guard count > 0 else { return }
        Terminal.note("\(count) more \(things) not shown; --limit 0 shows them all, \(more)")
    }
}
