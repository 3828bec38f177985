import Foundation
import RouteLedgerCore
import RouteLedgerStore
import Testing
import TestSupport

/// The timeline page and the HTML report in a real browser (headless Chromium over WebDriver), against
/// `serve` on loopback with the seed scenarios of data/ (issue 14, point 5).
@Suite("the timeline page and the report in headless Chromium", .serialized)
struct BrowserTests {
    static func seeded(_ directory: TemporaryDirectory) throws -> String {
        let database = directory.path("history.db")
        let log = try EventLog(path: database)
        for name in ["01-default-backend.jsonl", "02-vip-demo.jsonl", "03-canary-task.jsonl", "04-canary-vip.jsonl"] {
            _ = try log.append(contentsOf: Array(try Data(contentsOf: Executables.repository.appendingPathComponent("data/" + name))))
        }
        return database
    }

    /// The lanes' accessible labels of one frontend.
    static let lanes = "return Array.from(document.querySelectorAll('svg.lanes .lane')).map(g => g.getAttribute('aria-label')).filter(l => l.startsWith(arguments[0] + ' '))"

    @Test("lanes, markers, stories and live updates on the page; the same in the report opened from disk; keyboard reaches them; no console errors",
          .enabled(if: Chromium.shouldRun), .timeLimit(.minutes(4)))
    func timelinePage() async throws {
        let directory = try TemporaryDirectory("routeledger-browser")
        defer { directory.remove() }
        let database = try Self.seeded(directory)
        try "browser-token\n".write(toFile: directory.path("token"), atomically: true, encoding: .utf8)
        chmod(directory.path("token"), 0o600)
        let port = try freeLoopbackPort()
        let routeledger = Executables.url("routeledger").path
        let serve = try BackgroundProcess(routeledger, ["serve", "--db", database, "--listen", "127.0.0.1:\(port)", "--token-file", directory.path("token"),
                                                        "--poll", "50ms"], logPath: directory.path("serve.out"))
        defer { serve.stop() }
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("serve answers", seconds: Patience.seconds) {
            (try? await Command.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", base + "/healthz"]))?.status == 0
        }
        let browser = try await WebDriver(directory: directory.url.path)
        do {
            // vip mode: demo.local has one lane, the VIP, unbroken (one stretch) across the scaling events.
            try await browser.open(base + "/?host=demo.local")
            let demo = try await browser.run(Self.lanes, ["demo.local"]) as? [String] ?? []
            #expect(demo.count == 1 && demo[0].hasPrefix("demo.local 10.0.2.9:8080: vip of demo, 100%") && !demo[0].contains(";"), "\(demo)")

            // task mode: shop.local shows five upstreams, each at 20% now, the canary's among them.
            try await browser.open(base + "/?host=shop.local")
            let shop = try await browser.run(Self.lanes, ["shop.local"]) as? [String] ?? []
            #expect(shop.count == 5, "\(shop)")
            #expect(shop.allSatisfy { $0.hasSuffix("20%, from 2026-11-27 10:00:11Z on") }, "\(shop)")
            #expect(shop.contains { $0.contains("shop-canary.1 of shop-canary (canary)") })

            // Clicking a reload marker shows its story, with its cause's seq.
            let markers = try await browser.run("return Array.from(document.querySelectorAll('svg.lanes a.marker')).map(a => a.dataset.reload)") as? [String] ?? []
            #expect(markers.count == 5)
            let last = try #require(markers.last)
            try await browser.click("svg.lanes a.marker[data-reload='\(last)']")
            try await browser.waitUntil("the story of reload \(last) is the target", "return location.hash === '#reload-\(last)'")
            let story = try await browser.run("return document.getElementById('reload-\(last)').innerText") as? String ?? ""
            #expect(story.contains("22\ttask.updated\ttask shop-canary.1: running at 10.0.2.31"), "\(story)")

            // Keyboard: a lane and a marker take focus; Enter on a marker follows it.
            _ = try await browser.run("document.querySelector('svg.lanes .lane').focus()")
            try await browser.press("\u{E004}")
            #expect(try await browser.run("return document.activeElement.getAttribute('aria-label')") as? String == shop[1])
            let first = try #require(markers.first)
            _ = try await browser.run("document.querySelector(\"svg.lanes a.marker[data-reload='\(first)']\").focus()")
            try await browser.press("\u{E007}")
            try await browser.waitUntil("Enter follows the marker", "return location.hash === '#reload-\(first)'")

            // An append while the page is open adds a marker, without reloading the page.
            try await browser.open(base + "/?host=shop.local")
            _ = try await browser.run("window.stillThisPage = true")
            let task = #"{"id":"browser-shopc2","type":"task.updated","time":"2026-11-27T10:00:20Z","data":{"task":{"id":"shopc2","serviceId":"svc-shop-canary","slot":2,"nodeId":"node-1","state":"running","desiredState":"running","addresses":[{"networkId":"jed11c1x685a1r8acirk2ylol","addr":"10.0.2.32/24"}]}}}"#
            let posted = try await Command.run("/usr/bin/curl", ["-sS", "-X", "POST", "-H", "Authorization: Bearer browser-token", "--data-binary", task,
                                                                 base + "/v1/events"])
            #expect((try? JSONSerialization.jsonObject(with: Data(posted.output.utf8)) as? [String: Any])?["appended"] as? Int == 1, "\(posted.output)")
            try await browser.waitUntil("a sixth marker appears", "return document.querySelectorAll('svg.lanes a.marker').length === 6")
            #expect(try await browser.run("return window.stillThisPage === true") as? Bool == true, "the page was not reloaded")
            #expect((try await browser.run(Self.lanes, ["shop.local"]) as? [String])?.count == 6)

            // Readable at 200% zoom: at half the width (what 200% leaves of 1300 CSS pixels) nothing scrolls sideways.
            _ = try await browser.run("document.body.style.zoom = '200%'")
            let overflow = try await browser.run("return document.documentElement.scrollWidth - document.documentElement.clientWidth") as? Int
            #expect(overflow == 0, "at 200% the page is \(overflow ?? -1) px wider than the window")
            _ = try await browser.run("document.body.style.zoom = ''")

            let errors = try await browser.log().filter { $0.level == "SEVERE" }
            #expect(errors.isEmpty, "console errors on the page: \(errors)")

            // The report, opened from disk: the same lanes and stories, and nothing fetched.
            let report = directory.path("shop.html")
            let made = try await Command.run(routeledger, ["report", "--db", database, "--html", report, "--host", "shop.local"])
            #expect(made.status == 0, "\(made.output)")
            try await browser.open("file://" + report)
            #expect((try await browser.run(Self.lanes, ["shop.local"]) as? [String])?.count == 6)
            #expect(try await browser.run("return document.querySelectorAll('svg.lanes a.marker').length") as? Int == 6)
            #expect(try await browser.run("return document.scripts.length") as? Int == 0)
            #expect(try await browser.run("return performance.getEntriesByType('resource').length") as? Int == 0, "the report fetched something")
            try await browser.click("svg.lanes a.marker:last-of-type")
            let hash = try await browser.run("return location.hash") as? String ?? ""
            #expect(hash.hasPrefix("#reload-"))
            let reportErrors = try await browser.log().filter { $0.level == "SEVERE" }
            #expect(reportErrors.isEmpty, "console errors in the report: \(reportErrors)")
        } catch {
            Issue.record("\(error)\n--- serve:\n\(serve.output.suffix(2_000))")
        }
        await browser.quit()
    }
}
