/// The default service cluster's name for people: `_` in every option and every human output. The JSON
/// contract keeps `""` (the label's absence, as the events and the stored reloads carry it).
public enum ClusterName {
    public static let defaultCluster = "_"

    /// `_` for the default cluster, else the name.
    public static func display(_ cluster: String) -> String { cluster.isEmpty ? defaultCluster : cluster }

    /// The cluster an option names: `_` (or `""`) is the default cluster.
    public static func parse(_ text: String) -> String { text == defaultCluster ? "" : text }
}
