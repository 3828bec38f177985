import RouteLedgerCore

/// Human output of a routing view: aligned tables of frontends, default backends and diagnostics.
enum RoutingTable {
    /// `partial`: the view was filtered to a host or a service, so a missing default backend says nothing.
    /// Tasks are named by `names` (`service.slot`).
    static func render(_ view: RoutingView, at point: String, names: NameBook, partial: Bool = false) -> String {
        var sections: [String] = ["Routing at \(point)"]
        if view.frontends.isEmpty {
            sections.append("No frontends.")
        } else {
            var table = Table("HOST", "CLUSTER", "SERVICE", "UPSTREAM", "TASK", "SHARE", "OPTIONS")
            for frontend in view.frontends {
                for (i, upstream) in frontend.upstreams.enumerated() {
                    table.add(i == 0 ? hostName(frontend) : "", i == 0 ? clusterName(frontend.cluster) : "",
                              upstream.service, upstream.address, task(upstream, names), percent(upstream.share),
                              i == 0 ? options(frontend) : "")
                }
            }
            sections.append(table.rendered)
        }
        if !view.defaultBackends.isEmpty {
            var table = Table("DEFAULT BACKEND", "CLUSTER", "UPSTREAM", "TASK", "SHARE")
            for backend in view.defaultBackends {
                for (i, upstream) in backend.upstreams.enumerated() {
                    table.add(i == 0 ? backend.service : "", i == 0 ? clusterName(backend.cluster) : "",
                              upstream.address, task(upstream, names), percent(upstream.share))
                }
            }
            sections.append(table.rendered)
        } else {
            if !partial { sections.append("No default backend: unknown hosts get 503.") }
        }
        if !view.diagnostics.isEmpty {
            var table = Table("DIAGNOSTIC", "SERVICE", "LABEL", "MESSAGE")
            for d in view.diagnostics {
                table.add(d.severity.rawValue, d.service ?? "-", d.label.map(shortLabel) ?? (d.host ?? "-"), d.message)
            }
            sections.append(table.rendered)
        }
        return sections.joined(separator: "\n\n")
    }

    private static func task(_ upstream: Upstream, _ names: NameBook) -> String {
        upstream.task.map { names.task(TaskID($0)) } ?? "(vip)"
    }

    static func hostName(_ frontend: Frontend) -> String {
        frontend.path == "/" ? frontend.host : frontend.host + frontend.path
    }

    static func clusterName(_ cluster: String) -> String { ClusterName.display(cluster) }

    static func shortLabel(_ label: String) -> String {
        label.hasPrefix(LabelParser.prefix) ? String(label.dropFirst(LabelParser.prefix.count)) : label
    }

    static func options(_ frontend: Frontend) -> String {
        var parts: [String] = []
        if let cookie = frontend.stickyCookie { parts.append("sticky=\(cookie)") }
        if frontend.ipHash { parts.append("ip_hash") }
        if frontend.contextRootRewrite { parts.append("rewrite") }
        if !frontend.websocketEndpoints.isEmpty { parts.append("ws=\(frontend.websocketEndpoints.joined(separator: ","))") }
        for redirect in frontend.redirects { parts.append("302 \(redirect.source)->\(redirect.target)") }
        if let tls = frontend.tls {
            if tls.passthrough { parts.append("tls=passthrough") }
            if let certificate = tls.certificate { parts.append("tls=\(certificate)") }
            if tls.only { parts.append("ssl_only") }
            if tls.backend { parts.append(tls.verify == .required ? "backend=https(verify)" : "backend=https") }
        }
        return parts.joined(separator: " ")
    }

    /// `20%`, `33.3%`.
    static func percent(_ share: Double) -> String { DiffText.percent(share) }
}
