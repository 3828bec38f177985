import RouteLedgerCore

/// Text for HTML: every value written into a page goes through `escaped`.
enum HTML {
    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content and quoted attributes alike.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A URL query value: everything but unreserved characters (and `:`) percent-encoded.
    static func queryValue(_ text: String) -> String { PercentEncoding.queryValue(text, keeping: ":") }

    /// `?a=1&b=x` from the pairs whose value is not nil, escaped for an attribute.
    static func query(_ pairs: [(String, String?)]) -> String {
        let parts = pairs.compactMap { name, value in value.map { "\(name)=\(queryValue($0))" } }
        return parts.isEmpty ? "?" : "?" + parts.joined(separator: "&amp;")
    }

    /// A log time for people: `2026-11-27 10:00:08Z`.
    static func time(_ time: Timestamp?) -> String {
        guard let time else { return "the start" }
        return time.rfc3339.replacingFirst("T", with: " ")
    }
}

extension String {
    func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let found = firstIndex(of: target) else { return self }
        return String(self[..<found]) + replacement + String(self[index(after: found)...])
    }
}
