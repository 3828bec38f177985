import RouteLedgerCore
import RouteLedgerJSON

/// The history of hosts as one HTML document: the timeline page `serve` answers at `/`, or the
/// self-contained report `routeledger report --html` writes. Both draw the same lanes (``TimelineSVG``),
/// tell each reload's story (causes, changes, proxies) in plain HTML, and list the upstreams and
/// diagnostics in tables that read without JavaScript. The page adds a host picker, range links and a
/// small inline script (live reloads, "at this moment" by clicking a lane, keyboard shortcuts); the
/// report has no script and fetches nothing.
public struct TimelineDocument: Sendable {
    /// A host the picker lists.
    public struct HostEntry: Sendable, Hashable {
        public var host: String
        public var cluster: String
        /// Its upstreams now.
        public var upstreams: Int

        public init(host: String, cluster: String, upstreams: Int) {
            self.host = host
            self.cluster = cluster
            self.upstreams = upstreams
        }
    }

    /// The routing of the host at one point ("at this moment").
    public struct Moment: Sendable {
        public var point: TimelinePoint
        public var frontends: [Frontend]
        public var names: NameBook

        public init(point: TimelinePoint, frontends: [Frontend], names: NameBook) {
            self.point = point
            self.frontends = frontends
            self.names = names
        }
    }

    /// Page or report.
    public enum Mode: Sendable {
        /// The page in `serve`; `live`: the range ends now, so new reloads are fetched as they come.
        case page(live: Bool)
        /// The offline report, with the line that made it.
        case report(generatedBy: String)
    }

    public var mode: Mode
    /// One timeline on the page; one per host in a report.
    public var timelines: [HostTimeline]
    /// Each marker's story: the JSON of `GET /v1/reloads/{id}` (`why --json`), by reload id.
    public var stories: [Int: JSONValue]
    /// The hosts to pick from (page only).
    public var hosts: [HostEntry]
    /// The clusters to pick from (page only).
    public var clusters: [String]
    /// The routing at a clicked point (page only).
    public var moment: Moment?
    /// The whole log's extent: its last position (for the range links).
    public var lastSeq: Seq
    /// The newest reload of the host when the page was made (where live updates start).
    public var lastReload: Int

    public init(mode: Mode, timelines: [HostTimeline], stories: [Int: JSONValue], hosts: [HostEntry] = [], clusters: [String] = [],
                moment: Moment? = nil, lastSeq: Seq, lastReload: Int = 0) {
        self.mode = mode
        self.timelines = timelines
        self.stories = stories
        self.hosts = hosts
        self.clusters = clusters
        self.moment = moment
        self.lastSeq = lastSeq
        self.lastReload = lastReload
    }

    var isPage: Bool { if case .page = mode { true } else { false } }

    /// The whole HTML document, its styles inline and, for the page only, its script.
    public func render() -> String {
        let title = timelines.count == 1 ? "\(timelines[0].host) — RouteLedger" : "Routing history — RouteLedger"
        var out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n"
        out += "<title>\(HTML.escaped(title))</title>\n<style>\(PageStyle.css)</style>\n</head>\n<body>\n"
        out += "<header><p class=\"brand\"><a href=\"\(isPage ? "/" : "#top")\">RouteLedger</a> routing history</p>"
        if case .report(let generatedBy) = mode {
            out += "<p class=\"generated\">Report made by <code>\(HTML.escaped(generatedBy))</code>; it fetches nothing and reads without JavaScript.</p>"
        }
        out += "</header>\n"
        if isPage { out += picker() }
        out += main()
        if case .page = mode { out += "<script>\(PageScript.js)</script>\n" }
        out += "</body>\n</html>\n"
        return out
    }

    // MARK: - Parts

    func picker() -> String {
        let current = timelines.first
        var out = "<nav aria-label=\"Choose a host\"><form method=\"get\" action=\"/\" class=\"picker\">"
        out += "<label>Cluster <select name=\"cluster\">"
        for cluster in clusters.isEmpty ? [current?.cluster ?? ""] : clusters {
            let selected = cluster == current?.cluster ? " selected" : ""
            out += "<option value=\"\(HTML.escaped(ClusterName.display(cluster)))\"\(selected)>\(HTML.escaped(ClusterName.display(cluster)))</option>"
        }
        out += "</select></label> "
        out += "<label>Host <input name=\"host\" list=\"hosts\" value=\"\(HTML.escaped(current?.host ?? ""))\" placeholder=\"search hosts\" autocomplete=\"off\"></label>"
        out += "<datalist id=\"hosts\">"
        for entry in hosts { out += "<option value=\"\(HTML.escaped(entry.host))\">\(entry.upstreams) upstream\(entry.upstreams == 1 ? "" : "s")</option>" }
        out += "</datalist> <button type=\"submit\">Show</button></form></nav>\n"
        return out
    }

    func main() -> String {
        var attributes = ""
        if case .page(let live) = mode, let timeline = timelines.first {
            attributes = " data-live=\"\(live)\" data-last-reload=\"\(lastReload)\" data-poll=\"/v1/reloads\(HTML.query([("host", timeline.host), ("cluster", ClusterName.display(timeline.cluster)), ("limit", "1")]))\""
        }
        var out = "<main id=\"top\"\(attributes)>\n"
        if timelines.isEmpty {
            out += hostList()
        }
        for timeline in timelines { out += section(timeline) }
        out += "</main>\n"
        return out
    }

    func hostList() -> String {
        guard !hosts.isEmpty else { return "<h1>Routing history</h1><p>No host is routed yet.</p>" }
        var out = "<h1>Routing history</h1><p>Pick a host to see its upstreams over time.</p>"
        out += "<table><caption>Hosts and their upstreams now</caption><thead><tr><th scope=\"col\">Host</th><th scope=\"col\">Cluster</th><th scope=\"col\">Upstreams</th></tr></thead><tbody>"
        for entry in hosts {
            let link = "/" + HTML.query([("cluster", ClusterName.display(entry.cluster)), ("host", entry.host)])
            out += "<tr><td><a href=\"\(link)\">\(HTML.escaped(entry.host))</a></td><td>\(HTML.escaped(ClusterName.display(entry.cluster)))</td><td>\(entry.upstreams)</td></tr>"
        }
        return out + "</tbody></table>"
    }

    func section(_ timeline: HostTimeline) -> String {
        let anchor = "host-" + timeline.host.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        var out = "<section class=\"host\" id=\"\(anchor)\" aria-labelledby=\"\(anchor)-title\">\n"
        out += "<h1 id=\"\(anchor)-title\">\(HTML.escaped(timeline.host)) <small>cluster \(HTML.escaped(ClusterName.display(timeline.cluster)))</small></h1>\n"
        out += "<p class=\"range\">From seq \(timeline.from.seq) (\(HTML.escaped(HTML.time(timeline.from.logTime)))) to seq \(timeline.to.seq) (\(HTML.escaped(HTML.time(timeline.to.logTime)))): \(timeline.markers.count) reload\(timeline.markers.count == 1 ? "" : "s") of this host, \(timeline.lanes.count) upstream lane\(timeline.lanes.count == 1 ? "" : "s").</p>\n"
        if isPage { out += rangeLinks(timeline) }
        out += "<figure>\(TimelineSVG(timeline: timeline).render())\n<figcaption>\(legend(timeline))</figcaption></figure>\n"
        if let moment, timelines.count == 1 { out += momentSection(moment, timeline) }
        out += reloadsSection(timeline)
        out += upstreamTable(timeline)
        out += diagnosticsTable(timeline)
        out += "</section>\n"
        return out
    }

    /// Zoom and pan by positions; each link is the whole view, for an incident ticket.
    func rangeLinks(_ timeline: HostTimeline) -> String {
        let from = timeline.from.seq, to = timeline.to.seq
        let width = max(to - from, 2)
        func link(_ id: String, _ text: String, _ key: String, _ a: Seq?, _ b: Seq?) -> String {
            let query = HTML.query([("cluster", ClusterName.display(timeline.cluster)), ("host", timeline.host),
                                    ("from", a.map { String(max(0, $0)) }), ("to", b.map { String(min(lastSeq, $0)) })])
            return "<a id=\"\(id)\" href=\"/\(query)\" aria-keyshortcuts=\"\(key)\">\(text)</a>"
        }
        let middle = from + width / 2
        var links: [String] = []
        links.append(link("zoom-in", "Zoom in", "+", middle - width / 4, middle + width / 4))
        links.append(link("zoom-out", "Zoom out", "-", middle - width, min(lastSeq, middle + width)))
        links.append(link("earlier", "← Earlier", "[", from - width / 2, to - width / 2))
        links.append(link("later", "Later →", "]", from + width / 2, to + width / 2 >= lastSeq ? nil : to + width / 2))
        links.append(link("now", "Now", "n", nil, nil))
        links.append(link("permalink", "Link to this view", "", from, to))
        return "<p class=\"links\">" + links.joined(separator: " · ") + " <span class=\"hint\">(keys + − [ ] n; click a lane for the routes at that moment)</span></p>\n"
    }

    func legend(_ timeline: HostTimeline) -> String {
        let svg = TimelineSVG(timeline: timeline)
        let colours = svg.colours, canaries = svg.canaries
        guard !timeline.services.isEmpty else { return "No service had an upstream on this host in the range." }
        return "Services: " + timeline.services.map { service in
            "<span class=\"swatch\" style=\"background:\(TimelineSVG.palette[colours[service] ?? 0])\" aria-hidden=\"true\"></span> \(HTML.escaped(service))\(canaries.contains(service) ? " (canary, striped)" : "")"
        }.joined(separator: " · ") + ". Each bar is one upstream while it was in the proxy configuration, labelled with its task (or vip) and its share; a triangle on the axis is a reload: follow it for its story."
    }

    func momentSection(_ moment: Moment, _ timeline: HostTimeline) -> String {
        var out = "<section id=\"moment\" aria-labelledby=\"moment-title\"><h2 id=\"moment-title\">At this moment: seq \(moment.point.seq), \(HTML.escaped(HTML.time(moment.point.logTime)))</h2>"
        let frontends = moment.frontends.filter { $0.host == timeline.host && $0.cluster == timeline.cluster }
        if frontends.isEmpty { return out + "<p>The host had no upstream then (unknown hosts got the default backend or 503).</p></section>\n" }
        out += "<table><caption>Routes of \(HTML.escaped(timeline.host)) at seq \(moment.point.seq), as <code>routeledger routes --seq \(moment.point.seq) --host \(HTML.escaped(timeline.host))</code> prints them</caption>"
        out += "<thead><tr><th scope=\"col\">Frontend</th><th scope=\"col\">Service</th><th scope=\"col\">Upstream</th><th scope=\"col\">Task</th><th scope=\"col\">Share</th></tr></thead><tbody>"
        for frontend in frontends {
            for upstream in frontend.upstreams {
                out += "<tr><td>\(HTML.escaped(frontend.path == "/" ? frontend.host : frontend.host + frontend.path))</td><td>\(HTML.escaped(upstream.service))</td><td>\(HTML.escaped(upstream.address))</td><td>\(HTML.escaped(upstream.task.map { moment.names.task(TaskID($0)) } ?? "vip"))</td><td>\(DiffText.percent(upstream.share))</td></tr>"
            }
        }
        return out + "</tbody></table></section>\n"
    }

    func reloadsSection(_ timeline: HostTimeline) -> String {
        var out = "<section aria-labelledby=\"reloads-\(timeline.host)\"><h2 id=\"reloads-\(HTML.escaped(timeline.host))\">Reloads</h2>"
        if timeline.markers.isEmpty { return out + "<p>No reload changed this host in the range.</p></section>\n" }
        for marker in timeline.markers.reversed() {
            out += "<article class=\"reload\" id=\"reload-\(marker.id)\" tabindex=\"-1\"><h3>Reload \(marker.id) <small>seq \(marker.point.seq) · \(HTML.escaped(HTML.time(marker.point.logTime))) · version <code>\(HTML.escaped(String(marker.version.prefix(12))))</code></small></h3>"
            out += "<ul class=\"changes\">" + marker.changes.map { "<li>\(HTML.escaped($0))</li>" }.joined() + "</ul>"
            if let story = stories[marker.id] {
                let causes = story["causeEvents"]?.arrayValue ?? []
                out += "<table class=\"causes\"><caption>Caused by</caption><thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">Type</th><th scope=\"col\">What happened</th></tr></thead><tbody>"
                for cause in causes {
                    out += "<tr><td class=\"seq\">\(HTML.escaped(cause["seq"].map(numberText) ?? ""))</td><td>\(HTML.escaped(cause["type"]?.stringValue ?? ""))</td><td>\(HTML.escaped(cause["summary"]?.stringValue ?? ""))</td></tr>"
                }
                out += "</tbody></table>"
                let proxies = story["proxies"]?.arrayValue ?? []
                if proxies.isEmpty {
                    out += "<p class=\"proxies\">No proxy reported on this version.</p>"
                } else {
                    out += "<ul class=\"proxies\">" + proxies.map { report in
                        let outcome = report["outcome"]?.stringValue ?? "?"
                        let error = report["error"]?.stringValue.map { ": \($0)" } ?? ""
                        return "<li><strong>\(HTML.escaped(report["proxy"]?.stringValue ?? "?"))</strong> \(HTML.escaped(outcome))\(HTML.escaped(error))</li>"
                    }.joined() + "</ul>"
                }
            }
            if isPage {
                out += "<p><a href=\"/\(HTML.query([("cluster", ClusterName.display(timeline.cluster)), ("host", timeline.host), ("from", String(timeline.from.seq)), ("to", String(timeline.to.seq)), ("at", String(marker.point.seq))]))#moment\">Routes at this moment</a></p>"
            }
            out += "</article>"
        }
        return out + "</section>\n"
    }

    func upstreamTable(_ timeline: HostTimeline) -> String {
        guard !timeline.lanes.isEmpty else { return "" }
        var out = "<table class=\"upstreams\"><caption>Upstreams in the range (the lanes above as a table)</caption><thead><tr><th scope=\"col\">Frontend</th><th scope=\"col\">Upstream</th><th scope=\"col\">Service</th><th scope=\"col\">Task</th><th scope=\"col\">Share</th><th scope=\"col\">From</th><th scope=\"col\">To</th></tr></thead><tbody>"
        for lane in timeline.lanes {
            for segment in lane.segments {
                out += "<tr><td>\(HTML.escaped(lane.frontend))</td><td>\(HTML.escaped(lane.address))</td><td>\(HTML.escaped(segment.service))</td><td>\(HTML.escaped(segment.taskName ?? "vip"))</td><td>\(DiffText.percent(segment.share))</td><td>seq \(segment.from.seq) · \(HTML.escaped(HTML.time(segment.from.logTime)))</td><td>\(segment.to.map { "seq \($0.seq) · \(HTML.escaped(HTML.time($0.logTime)))" } ?? "still there")</td></tr>"
            }
        }
        return out + "</tbody></table>\n"
    }

    func diagnosticsTable(_ timeline: HostTimeline) -> String {
        let id = "diagnostics-" + HTML.escaped(timeline.host)
        guard !timeline.diagnostics.isEmpty else { return "<p class=\"diagnostics\" id=\"\(id)\">No diagnostic for this host at seq \(timeline.to.seq).</p>\n" }
        var out = "<table class=\"diagnostics\" id=\"\(id)\"><caption>Diagnostics at seq \(timeline.to.seq)</caption><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Service</th><th scope=\"col\">Label</th><th scope=\"col\">Message</th></tr></thead><tbody>"
        for diagnostic in timeline.diagnostics {
            out += "<tr class=\"\(diagnostic.severity.rawValue)\"><td>\(diagnostic.severity.rawValue)</td><td>\(HTML.escaped(diagnostic.service ?? "-"))</td><td>\(HTML.escaped(diagnostic.label ?? "-"))</td><td>\(HTML.escaped(diagnostic.message))</td></tr>"
        }
        return out + "</tbody></table>\n"
    }

    private func numberText(_ value: JSONValue) -> String {
        if case .number(let text) = value { return text }
        return value.stringValue ?? ""
    }
}
