import RouteLedgerCore

/// A host's timeline drawn as SVG: one lane per upstream (label on the left, a bar per stretch it was in
/// the configuration, labelled with task and share), the default backend below, and a marker per reload
/// on the time axis that links to the reload's story (`#reload-ID`).
///
/// Colour tells services apart, but never alone: every bar carries its service and task in words (in the
/// bar when it fits, always in its `<title>`), and a service that joined a frontend after its first one
/// (a canary) is striped and says "canary".
struct TimelineSVG {
    let timeline: HostTimeline

    static let width = 1000.0
    static let labelWidth = 300.0
    static let laneHeight = 30.0
    static let axisHeight = 44.0
    /// Okabe and Ito's palette, which colour-blind readers can tell apart.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D00", "#555555"]

    /// The time span drawn: nanoseconds since the epoch.
    var span: (start: Int64, end: Int64) {
        let times = [timeline.from.logTime] + timeline.lanes.flatMap { $0.segments.map(\.from.logTime) } + timeline.markers.map(\.point.logTime)
        let known = times.compactMap { $0?.nanosecondsSinceEpoch }
        let start = timeline.from.logTime?.nanosecondsSinceEpoch ?? known.min() ?? 0
        var end = timeline.to.logTime?.nanosecondsSinceEpoch ?? known.max() ?? start
        if end <= start { end = start + 1_000_000_000 }
        return (start, end)
    }

    func x(_ time: Timestamp?) -> Double {
        let (start, end) = span
        let t = time?.nanosecondsSinceEpoch ?? start
        let fraction = Double(max(start, min(end, t)) - start) / Double(end - start)
        return Self.labelWidth + fraction * (Self.width - Self.labelWidth - 10)
    }

    /// Service → colour index, in order of appearance.
    var colours: [String: Int] {
        var map: [String: Int] = [:]
        for service in timeline.services where map[service] == nil { map[service] = map.count % Self.palette.count }
        return map
    }

    /// The services that joined a frontend after its first service: canaries.
    var canaries: Set<String> {
        var first: [String: String] = [:]
        var canaries: Set<String> = []
        for lane in timeline.lanes {
            for segment in lane.segments.sorted(by: { $0.from.seq < $1.from.seq }) {
                if let owner = first[lane.frontend] { if owner != segment.service { canaries.insert(segment.service) } } else { first[lane.frontend] = segment.service }
            }
        }
        // The first service of one frontend may have joined another one later: it is not a canary there either.
        return canaries.subtracting(first.values)
    }

    /// Lanes, then one row for the diagnostics.
    var height: Double { Self.axisHeight + Double(max(timeline.lanes.count, 1) + 1) * Self.laneHeight + 12 }

    func render() -> String {
        let colours = colours, canaries = canaries
        let (start, end) = span
        var out = #"<svg xmlns="http://www.w3.org/2000/svg" class="lanes" viewBox="0 0 \#(Int(Self.width)) \#(Int(height))" role="group" aria-labelledby="lanes-title" data-x0="\#(Self.labelWidth)" data-x1="\#(Self.width - 10)" data-t0="\#(start)" data-t1="\#(end)">"#
        out += #"<title id="lanes-title">Upstreams of \#(HTML.escaped(timeline.host)) over time, one lane per upstream, with \#(timeline.markers.count) reload\#(timeline.markers.count == 1 ? "" : "s")</title>"#
        out += #"<defs><pattern id="canary-stripes" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="8" fill="white" fill-opacity="0.45"/></pattern></defs>"#
        // Axis: five ticks with their log time.
        out += #"<g class="axis" aria-hidden="true">"#
        for i in 0...4 {
            let t = start + (end - start) / 4 * Int64(i)
            let px = x(Timestamp(nanosecondsSinceEpoch: t))
            let text = String(Timestamp(nanosecondsSinceEpoch: t).rfc3339.dropFirst(11).prefix(8))
            out += #"<line x1="\#(fmt(px))" y1="18" x2="\#(fmt(px))" y2="\#(fmt(height))" class="tick"/><text x="\#(fmt(px))" y="14" text-anchor="\#(i == 0 ? "start" : i == 4 ? "end" : "middle")">\#(text)</text>"#
        }
        out += "</g>"
        if timeline.lanes.isEmpty {
            out += #"<text x="\#(fmt(Self.labelWidth))" y="\#(fmt(Self.axisHeight + 18))" class="empty">No upstream in this range.</text>"#
        }
        var previousFrontend: String?
        out += #"<g role="list" aria-label="Upstream lanes">"#
        for (index, lane) in timeline.lanes.enumerated() {
            let y = Self.axisHeight + Double(index) * Self.laneHeight
            if lane.frontend != previousFrontend && index > 0 {
                out += #"<line x1="0" y1="\#(fmt(y))" x2="\#(Int(Self.width))" y2="\#(fmt(y))" class="separator" aria-hidden="true"/>"#
            }
            previousFrontend = lane.frontend
            let description = lane.segments.map { segment in
                "\(segment.taskName ?? "vip") of \(segment.service)\(canaries.contains(segment.service) ? " (canary)" : ""), \(DiffText.percent(segment.share)), from \(HTML.time(segment.from.logTime)) " + (segment.to.map { "to \(HTML.time($0.logTime))" } ?? "on")
            }.joined(separator: "; ")
            out += #"<g class="lane" tabindex="0" role="listitem" aria-label="\#(HTML.escaped("\(lane.frontend) \(lane.address): \(description)"))">"#
            out += #"<text x="4" y="\#(fmt(y + 19))" class="label"><tspan class="frontend">\#(HTML.escaped(lane.frontend))</tspan> \#(HTML.escaped(lane.address))</text>"#
            for segment in lane.segments {
                let x0 = x(segment.from.logTime), x1 = max(x(segment.to?.logTime ?? timeline.to.logTime), x0 + 3)
                let colour = Self.palette[colours[segment.service] ?? 0]
                let canary = canaries.contains(segment.service)
                let text = "\(segment.taskName ?? "vip") \(DiffText.percent(segment.share))" + (canary ? " canary" : "")
                out += #"<rect x="\#(fmt(x0))" y="\#(fmt(y + 5))" width="\#(fmt(x1 - x0))" height="\#(fmt(Self.laneHeight - 10))" rx="3" fill="\#(colour)" class="bar" data-service="\#(HTML.escaped(segment.service))"><title>\#(HTML.escaped("\(segment.service): \(text), from seq \(segment.from.seq)" + (segment.to.map { " to seq \($0.seq)" } ?? "")))</title></rect>"#
                if canary {
                    out += #"<rect x="\#(fmt(x0))" y="\#(fmt(y + 5))" width="\#(fmt(x1 - x0))" height="\#(fmt(Self.laneHeight - 10))" rx="3" fill="url(#canary-stripes)" aria-hidden="true"/>"#
                }
                if Double(text.count) * 6.6 + 8 < x1 - x0 {
                    out += #"<text x="\#(fmt(x0 + 4))" y="\#(fmt(y + 19))" class="bar-text" aria-hidden="true">\#(HTML.escaped(text))</text>"#
                }
            }
            out += "</g>"
        }
        out += "</g>"
        // The diagnostics in their own row: how many there are at the range's end, linking to their table.
        let row = Self.axisHeight + Double(max(timeline.lanes.count, 1)) * Self.laneHeight
        let errors = timeline.diagnostics.filter { $0.severity == .error }.count, warnings = timeline.diagnostics.count - errors
        let summary = timeline.diagnostics.isEmpty ? "no diagnostic at seq \(timeline.to.seq)"
            : "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") at seq \(timeline.to.seq): see the table below"
        out += #"<line x1="0" y1="\#(fmt(row))" x2="\#(Int(Self.width))" y2="\#(fmt(row))" class="separator" aria-hidden="true"/>"#
        out += "<a href=\"#diagnostics-\(HTML.escaped(timeline.host))\" class=\"diagnostics-row\"><text x=\"4\" y=\"\(fmt(row + 19))\" class=\"label\"><tspan class=\"frontend\">diagnostics</tspan> \(HTML.escaped(summary))</text></a>"
        // Reload markers, each a link to its story.
        for marker in timeline.markers {
            let px = x(marker.point.logTime)
            let label = "Reload \(marker.id) at seq \(marker.point.seq), \(HTML.time(marker.point.logTime)): " + (marker.changes.isEmpty ? "no change of this host" : marker.changes.joined(separator: "; "))
            out += "<a href=\"#reload-\(marker.id)\" class=\"marker\" data-reload=\"\(marker.id)\" aria-label=\"\(HTML.escaped(label))\"><title>\(HTML.escaped(label))</title>"
            // A band wider than the dashed line takes the clicks (and the pointer's hover).
            out += #"<rect x="\#(fmt(px - 6))" y="18" width="12" height="\#(fmt(height - 24))" fill="transparent" class="hit"/>"#
            out += #"<line x1="\#(fmt(px))" y1="20" x2="\#(fmt(px))" y2="\#(fmt(height - 6))"/><path d="M\#(fmt(px - 6)) 20 L\#(fmt(px + 6)) 20 L\#(fmt(px)) 32 Z"/></a>"#
        }
        out += "</svg>"
        return out
    }

    private func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
