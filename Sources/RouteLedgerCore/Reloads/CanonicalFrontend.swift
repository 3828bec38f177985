/// A frontend's canonical serialization (what its ``ConfigVersion/FrontendDigest`` hashes), kept with
/// where each server line sits in it, so that a task's move edits the bytes in place instead of
/// serializing every server again.
struct CanonicalFrontend: Sendable {
    private(set) var bytes: [UInt8] = []
    /// Where each server's bytes start, in server order.
    private var serverStarts: [Int] = []
    /// Where the servers' closing `]` is.
    private var serversEnd = 0

    init(_ frontend: ProxyFrontend) {
        bytes.reserveCapacity(128 + 32 * frontend.servers.count)
        frontend.writeCanonicalHead(into: &bytes)
        serverStarts.reserveCapacity(frontend.servers.count)
        for (i, server) in frontend.servers.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            serverStarts.append(bytes.count)
            server.writeCanonical(into: &bytes)
        }
        serversEnd = bytes.count
        frontend.writeCanonicalTail(into: &bytes)
    }

    /// The digest of the bytes.
    var digest: ConfigVersion.FrontendDigest { ConfigVersion.FrontendDigest(canonical: bytes) }

    /// Takes out the server line at `index`, with the comma that separates it from a neighbour.
    mutating func removeServer(at index: Int) {
        let start = serverStarts[index]
        let range: Range<Int>
        if serverStarts.count == 1 {
            range = start..<serversEnd
        } else if index < serverStarts.count - 1 {
            range = start..<serverStarts[index + 1]
        } else {
            range = (start - 1)..<serversEnd
        }
        bytes.removeSubrange(range)
        serverStarts.remove(at: index)
        for i in index..<serverStarts.count { serverStarts[i] -= range.count }
        serversEnd -= range.count
    }

    /// Puts `server`'s line at `index` (0 up to the number of servers), with a comma beside it.
    mutating func insertServer(_ server: ProxyServer, at index: Int, scratch line: inout [UInt8]) {
        line.removeAll(keepingCapacity: true)
        let start: Int
        if serverStarts.isEmpty {
            server.writeCanonical(into: &line)
            start = serversEnd
        } else if index < serverStarts.count {
            server.writeCanonical(into: &line)
            line.append(UInt8(ascii: ","))
            start = serverStarts[index]
        } else {
            line.append(UInt8(ascii: ","))
            server.writeCanonical(into: &line)
            start = serversEnd + 1
        }
        bytes.insert(contentsOf: line, at: index < serverStarts.count ? start : serversEnd)
        serverStarts.insert(start, at: index)
        for i in (index + 1)..<serverStarts.count { serverStarts[i] += line.count }
        serversEnd += line.count
    }
}
