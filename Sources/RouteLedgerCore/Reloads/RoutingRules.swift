/// Which version of the routing rules the projections follow.
///
/// Reload records and snapshots are computed, not recorded: when a rule changes, records stored by an
/// earlier version tell another story than a replay would. The store keeps the version its projections were
/// built with and rebuilds them when it differs from ``version`` (docs/RELOADS.md, "Rules versions").
public enum RoutingRules {
    /// The rules this build applies; every rebuild stores it as `rulesVersion` in `projection_state`.
    public static let version = 3

    /// What distinguishes a rules version, in a few words.
    public static func summary(_ version: Int) -> String {
        switch version {
        case 1: "vip mode routed a service's VIP while at least one of its tasks ran"
        case 2: "vip mode routes a service's VIP from its creation to its removal, whatever its tasks do"
        case 3: "the TLS labels (ssl_cert, ssl_key, ssl_only, ssl_backend, ssl_backend_tls_verify, ssl_passthrough) route; earlier rules ignored them"
        default: "rules unknown to this build"
        }
    }
}
