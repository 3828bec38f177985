import Foundation

/// Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`): plain HTTP and
/// JSON to a `chromedriver` this process starts on a free loopback port and stops by process id.
///
/// Tests that need it use ``Chromium/shouldRun``: skipped on a workstation without Chromium, run (and
/// failing) with `CI=true`, where `.ci/run` installs it.
public enum Chromium {
    /// `chromedriver`: `$CHROMEDRIVER`, else Debian's.
    public static let driver: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CHROMEDRIVER"], "/usr/bin/chromedriver"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The browser: `$CHROMIUM`, else Debian's.
    public static let browser: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Run the browser tests: Chromium is installed, or this is CI (where its absence must fail them).
    public static var shouldRun: Bool { (driver != nil && browser != nil) || Nginx.isCI }
}

/// One browser session.
public final class WebDriver: @unchecked Sendable {
    private let process: BackgroundProcess
    private let base: String
    private let session: String
    private let profile: String

    /// Starts chromedriver and a headless browser of `width`×`height` CSS pixels, its profile and the
    /// driver's log in `directory`.
    public init(directory: String, width: Int = 1300, height: Int = 1000) async throws {
        guard let driver = Chromium.driver, let browser = Chromium.browser else {
            throw WebDriverError(description: "chromium and chromedriver are not installed (CI=true requires them; .ci/run installs Debian's chromium and chromium-driver)")
        }
        let port = try freeLoopbackPort()
        process = try BackgroundProcess(driver, ["--port=\(port)", "--allowed-ips=127.0.0.1"], logPath: directory + "/chromedriver.log")
        base = "http://127.0.0.1:\(port)"
        profile = directory + "/chromium-profile"
        var started: String?
        let deadline = Date().addingTimeInterval(Patience.seconds)
        var lastError = ""
        while started == nil && Date() < deadline {
            do {
                let answer = try await Self.callJSON(base, "POST", "/session", [
                    "capabilities": ["alwaysMatch": [
                        "browserName": "chrome",
                        "goog:chromeOptions": ["binary": browser, "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                            "--window-size=\(width),\(height)", "--user-data-dir=\(profile)", "--no-first-run", "--disable-extensions",
                        ]],
                        "goog:loggingPrefs": ["browser": "ALL"],
                    ] as [String: Any]],
                ])
                started = (answer as? [String: Any])?["sessionId"] as? String
            } catch {
                lastError = "\(error)"
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard let started else {
            process.stop()
            throw WebDriverError(description: "no browser session within \(Patience.seconds) s: \(lastError)\n\(process.output.suffix(2_000))")
        }
        session = started
    }

    /// Opens `url` and waits for its load.
    public func open(_ url: String) async throws { _ = try await command("POST", "/url", ["url": url]) }

    /// Runs `script` (a function body: `return …`) in the page; its value as JSONSerialization gives it.
    public func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        let value = try await command("POST", "/execute/sync", ["script": script, "args": arguments])
        return value is NSNull ? nil : value
    }

    /// Waits until `script` returns true (polling every 100 ms), failing after the patience bound.
    public func waitUntil(_ what: String, _ script: String) async throws {
        let deadline = ContinuousClock.now + Patience.duration
        while ContinuousClock.now < deadline {
            if try await run(script) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebDriverError(description: "timed out after \(Patience.seconds) s waiting until \(what)")
    }

    /// Sends keys to the focused element (`\u{E004}` is Tab, `\u{E007}` Enter).
    public func press(_ keys: String) async throws {
        let actions: [[String: Any]] = keys.unicodeScalars.flatMap { key -> [[String: Any]] in
            [["type": "keyDown", "value": String(key)], ["type": "keyUp", "value": String(key)]]
        }
        _ = try await command("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    /// Clicks the first element matching `selector`.
    public func click(_ selector: String) async throws {
        let found = try await command("POST", "/element", ["using": "css selector", "value": selector])
        guard let element = (found as? [String: Any])?.values.first as? String else {
            throw WebDriverError(description: "no element \(selector)")
        }
        _ = try await command("POST", "/element/\(element)/click", [:])
    }

    /// The browser's console and network messages since the last call: `(level, message)`.
    public func log() async throws -> [(level: String, message: String)] {
        let entries = try await command("POST", "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { ($0["level"] as? String ?? "?", $0["message"] as? String ?? "") }
    }

    /// A PNG of the viewport (`fullPage`: the whole document, by resizing the window to it first).
    public func screenshot(to path: String, fullPage: Bool = false) async throws {
        if fullPage, let height = try await run("return Math.ceil(document.documentElement.scrollHeight)") as? Int {
            let width = try await run("return window.outerWidth") as? Int ?? 1300
            _ = try await command("POST", "/window/rect", ["width": width, "height": min(height + 120, 8_000)])
        }
        guard let base64 = try await command("GET", "/screenshot", nil) as? String, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(description: "no screenshot")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Ends the session (the browser exits) and stops chromedriver.
    public func quit() async {
        _ = try? await Self.call(base, "DELETE", "/session/\(session)", Data?.none)
        process.stop()
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any {
        let (base, session) = (self.base, self.session)
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        return try await Self.call(base, method, "/session/\(session)\(path)", payload)
    }

    private static func callJSON(_ base: String, _ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any {
        try await call(base, method, path, try body.map { try JSONSerialization.data(withJSONObject: $0) })
    }

    /// One WebDriver command with curl: its `value`, or an error with WebDriver's message.
    private static func call(_ base: String, _ method: String, _ path: String, _ body: Data?) async throws -> Any {
        var arguments = ["-sS", "--max-time", String(Int(Patience.seconds)), "-X", method, "-H", "Content-Type: application/json"]
        if let body { arguments += ["--data-binary", String(decoding: body, as: UTF8.self)] }
        let result = try await Command.run("/usr/bin/curl", arguments + [base + path], timeout: Patience.seconds + 5)
        guard result.status == 0 else { throw WebDriverError(description: "\(method) \(path): curl \(result.status): \(result.output)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8), options: [.fragmentsAllowed]) as? [String: Any] else {
            throw WebDriverError(description: "\(method) \(path): not JSON: \(result.output.prefix(500))")
        }
        let value = object["value"] ?? NSNull()
        if let error = value as? [String: Any], let kind = error["error"] as? String {
            throw WebDriverError(description: "\(method) \(path): \(kind): \(error["message"] as? String ?? "")")
        }
        return value
    }
}

public struct WebDriverError: Error, CustomStringConvertible {
    public let description: String
}
