/// A reload: one service cluster's proxy configuration version changed.
public struct Reload: Sendable, Hashable {
    /// 1, 2, 3, … in log order, across clusters.
    public var id: Int
    /// The service cluster whose proxy reloads.
    public var cluster: String
    /// The position of its last cause (with a settle window, the events after it up to the window's close
    /// are not part of it).
    public var seq: Seq
    /// When the proxy reloads, in log time: its cause's, or with a settle window the moment the window
    /// closed (quiet for `settle` after the last cause, or `maxWait` after the first), which can be later.
    public var logTime: Timestamp
    /// The version before (nil for a cluster's first reload).
    public var previousVersion: ConfigVersion?
    /// Never equal to `previousVersion`: a change that ends where it started is no reload.
    public var version: ConfigVersion
    /// The events since the previous reload that changed what the proxy sees.
    public var causes: [Seq]
    /// What changed since the cluster's previous reload (since the empty view for its first).
    public var diff: ProxyDiff
}

/// What one event did to the proxies.
public enum EventEffect: Sendable, Hashable {
    /// It changed what a proxy sees: part of these reloads.
    case reload([Int])
    /// It changed nothing a proxy sees, and why.
    case absorbed(String)
}
