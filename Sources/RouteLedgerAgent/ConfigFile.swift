import Foundation

/// The nginx configuration file the agent owns: replaced atomically, never half-written.
public struct ConfigFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The candidate's path: next to the file, so the final rename stays on one file system.
    public var candidatePath: String { path + ".next" }

    /// The current contents, if the file exists.
    public func read() -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The config version the file says it is (`# config version: HEX`), if it is one of ours.
    public func version() -> String? {
        guard let text = read() else { return nil }
        for line in text.split(separator: "\n", maxSplits: 8) where line.hasPrefix("# config version: ") {
            return String(line.dropFirst("# config version: ".count))
        }
        return nil
    }

    /// Writes `text` to the candidate path and flushes it to disk.
    public func writeCandidate(_ text: String) throws {
        try Self.writeDurably(Data(text.utf8), to: candidatePath)
    }

    /// Moves the candidate over the file in one step.
    public func promoteCandidate() throws {
        guard rename(candidatePath, path) == 0 else {
            throw ConfigFileError(description: "cannot rename \(candidatePath) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces the file with `text` atomically (temp file, fsync, rename).
    public func replace(with text: String) throws {
        try writeCandidate(text)
        try promoteCandidate()
    }

    /// Removes a leftover candidate.
    public func discardCandidate() { unlink(candidatePath) }

    /// Where the agent keeps the reload whose version nginx runs (`RELOAD VERSION`), beside the file, so a
    /// restart still refuses a server that lags behind it.
    public var appliedPath: String { path + ".applied" }

    /// The reload the file's version came from, when recorded for that version.
    public func appliedReload() -> Int? {
        guard let data = FileManager.default.contents(atPath: appliedPath), let version = version() else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, parts[1] == version else { return nil }
        return Int(parts[0])
    }

    /// Records that the file's version came from reload `id`.
    public func recordApplied(reload id: Int, version: String) {
        try? Self.writeDurably(Data("\(id) \(version)\n".utf8), to: appliedPath)
    }

    /// Where the agent keeps the version nginx refused, beside the file, so a restart does not fetch and
    /// report it again.
    public var refusedPath: String { path + ".refused" }

    /// The version recorded as refused, if any.
    public func refusedVersion() -> String? {
        guard let data = FileManager.default.contents(atPath: refusedPath) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Records `version` as refused (nil: none).
    public func recordRefused(_ version: String?) {
        guard let version else {
            unlink(refusedPath)
            return
        }
        try? Self.writeDurably(Data((version + "\n").utf8), to: refusedPath)
    }

    static func writeDurably(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ConfigFileError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        try data.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                guard n > 0 else { throw ConfigFileError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw ConfigFileError(description: "cannot flush \(path): \(String(cString: strerror(errno)))") }
    }
}

/// Reading or writing one of the agent's files failed; the description names the file and why.
public struct ConfigFileError: Error, CustomStringConvertible {
    public let description: String
}
