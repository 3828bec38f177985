/// "Did you mean …?" for a mistyped name: the known name within a small edit distance.
public enum Suggestion {
    /// The candidate closest to `text` by edit distance, when it is at most a third of its length away (and
    /// at most 3 edits).
    public static func closest(to text: String, in candidates: [String]) -> String? {
        let limit = min(3, max(1, text.count / 3))
        let scored = candidates.map { ($0, distance(Array(text.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit, best.1 > 0 else { return nil }
        return best.0
    }

    /// Levenshtein distance.
    public static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
