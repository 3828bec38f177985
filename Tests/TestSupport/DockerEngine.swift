import Foundation

/// A real Docker Engine of the tests' own, as a single-node Swarm on loopback: Debian's `dockerd` under a
/// temporary directory (its own data root, exec root, pid file and unix socket, its own containerd),
/// touching nothing of the host's network (no iptables rules, no IP forwarding or masquerading, no default
/// bridge), with one image imported from `busybox-static` (nothing can be pulled).
///
/// One engine serves the whole test process (``shared()``), started on first use. It is torn down when the
/// test process ends, however it ends (a failure, a crash, a kill), by a small shell that waits for it:
/// services removed, the swarm left, `docker_gwbridge` removed, then dockerd (which stops its containerd)
/// stopped by the pid in its pid file, and the directory removed. The same shell holds a lock
/// (`/tmp/routeledger-docker-engine.lock`) from start to tear-down, so two test runs on one machine take
/// turns instead of fighting over `docker_gwbridge` and the VXLAN port.
///
/// Tests talk to the engine only through its unix socket, and send no traffic to container addresses.
///
/// Tests that need it use ``shouldRun``: without Docker (or not as root) they are skipped on a workstation,
/// and say so; with `CI=true` they run, and fail when the engine cannot start.
public final class DockerEngine: @unchecked Sendable {
    /// The image every test service runs: `/bin/busybox` and its applet links.
    public static let image = "local/busybox:1"

    /// The directory holding the daemon's roots, its socket and its log.
    public let directory: String
    /// The daemon's unix socket.
    public var socketPath: String { directory + "/docker.sock" }
    /// The daemon's address as `--host` and `DOCKER_HOST` spell it.
    public var host: String { "unix://" + socketPath }
    /// The daemon's log.
    public var logPath: String { directory + "/dockerd.log" }
    /// What `docker version` says of the server (`20.10.24+dfsg1`), and its API version (`1.41`).
    public private(set) var serverVersion = ""
    public private(set) var apiVersion = ""

    // MARK: - Finding Docker

    /// `dockerd`, or nil when it is not installed.
    public static let dockerd: String? = firstExecutable(["/usr/sbin/dockerd", "/usr/bin/dockerd"], onPath: "dockerd")
    /// The Docker CLI: Debian's (`/usr/bin/docker`, the engine's own version) before any other on the PATH.
    public static let cli: String? = firstExecutable(["/usr/bin/docker"], onPath: "docker")
    /// A statically linked busybox (`busybox-static`): the only program in the image, so it must need no
    /// shared libraries.
    public static let busybox: String? = {
        guard let path = firstExecutable(["/bin/busybox", "/usr/bin/busybox"], onPath: "busybox"),
              let binary = FileManager.default.contents(atPath: path), isStaticELF64([UInt8](binary)) else { return nil }
        return path
    }()

    /// Whether `binary` is a 64-bit little-endian ELF file without a program interpreter (`PT_INTERP`): one
    /// that needs no dynamic loader.
    static func isStaticELF64(_ binary: [UInt8]) -> Bool {
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(binary[offset + $1]) << (8 * $1) }
        }
        guard binary.count > 64, binary[0..<4] == [0x7F, 0x45, 0x4C, 0x46], binary[4] == 2, binary[5] == 1 else { return false }
        let (table, entrySize, entries) = (integer(32, 8), integer(54, 2), integer(56, 2))
        guard table + entrySize * entries <= binary.count else { return false }
        return !(0..<entries).contains { integer(table + $0 * entrySize, 4) == 3 }
    }

    /// What is missing to run an engine here, or nil.
    public static var missing: String? {
        if dockerd == nil || cli == nil { return "Docker is not installed (Debian's docker.io)" }
        if busybox == nil { return "no statically linked busybox (Debian's busybox-static)" }
        if getuid() != 0 { return "dockerd needs root" }
        return nil
    }

    /// Run the Docker Engine tests: Docker can run here, or this is CI (where its absence must fail them).
    public static var shouldRun: Bool {
        if missing == nil || Nginx.isCI { return true }
        announceSkip
        return false
    }

    private static let announceSkip: Void = {
        FileHandle.standardError.write(Data("""
            ⚠︎ Docker Engine tests SKIPPED: \(missing ?? ""). .ci/run installs docker.io and busybox-static.
              With CI=true they run and fail instead.

            """.utf8))
    }()

    private static func firstExecutable(_ paths: [String], onPath name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
        return (paths + directories).first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // MARK: - Starting

    /// The engine the whole test process shares, started on first use (a failed start fails every caller).
    public static func shared() async throws -> DockerEngine { try await sharedEngine.value }

    private static let sharedEngine = Task { try await DockerEngine() }

    /// The lock two test runs' engines take turns on.
    static let lockPath = "/tmp/routeledger-docker-engine.lock"

    private init() async throws {
        if let missing = Self.missing { throw Failure(what: "starting a Docker Engine", output: missing) }
        // Short: a unix socket path has room for 107 bytes.
        directory = "/tmp/rl-docker-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await holdLockAndTearDownAtExit()
        var started = false
        for driver in ["overlay2", "vfs"] where !started {
            started = try await startDaemon(storageDriver: driver)
        }
        guard started else { throw Failure(what: "dockerd did not start with overlay2 or vfs", output: log) }
        let port = try freeLoopbackPort()
        try await docker(["swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:\(port)"])
        try await importImage()
    }

    /// Starts the tear-down shell and waits until it holds the lock (another run's engine first goes away).
    private func holdLockAndTearDownAtExit() async throws {
        let docker = "'\(Self.cli!)' -H 'unix://\(socketPath)'"
        let held = directory + "/lock-held"
        let script = """
            touch '\(held)'
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            if [ -f '\(directory)/dockerd.pid' ]; then
              ids=$(\(docker) service ls -q); [ -n "$ids" ] && \(docker) service rm $ids
              i=0; while [ -n "$(\(docker) ps -q)" ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
              \(docker) swarm leave --force
              \(docker) network rm docker_gwbridge
              pid=$(cat '\(directory)/dockerd.pid' 2>/dev/null)
              containerd=$(cat '\(directory)/exec/containerd/containerd.pid' 2>/dev/null)
              for p in $pid $containerd; do
                kill -TERM $p 2>/dev/null; i=0; while kill -0 $p 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
                kill -KILL $p 2>/dev/null
              done
            fi
            awk '{print $2}' /proc/mounts | grep '^\(directory)/' | sort -r | while read m; do umount -l "$m"; done
            rm -rf '\(directory)'
            # Kept only when something was left behind.
            [ -e /sys/class/net/docker_gwbridge ] || [ -e '\(directory)' ] || rm -f '\(directory)-teardown.log'
            """
        let reaper = Process()
        reaper.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        reaper.arguments = ["-w", "600", Self.lockPath, "/bin/sh", "-c", script]
        reaper.standardInput = FileHandle.nullDevice
        // Its own log, beside the directory it removes (kept when the tear-down left something behind).
        let teardownLog = directory + "-teardown.log"
        _ = FileManager.default.createFile(atPath: teardownLog, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: teardownLog))
        reaper.standardOutput = log
        reaper.standardError = log
        try reaper.run()
        let deadline = Date().addingTimeInterval(660)
        while !FileManager.default.fileExists(atPath: held) {
            guard reaper.isRunning, Date() < deadline else {
                throw Failure(what: "waiting for \(Self.lockPath)", output: "another test run's Docker Engine held it for over 10 minutes")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts dockerd with `storageDriver`; false when that driver does not work here.
    private func startDaemon(storageDriver: String) async throws -> Bool {
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/daemon.json"))
        var environment = ProcessInfo.processInfo.environment
        // Services with --no-resolve-image on an imported image: never look for it in a registry.
        environment["DOCKER_SERVICE_PREFER_OFFLINE_IMAGE"] = "1"
        environment["DOCKER_HOST"] = nil
        let daemon = try BackgroundProcess(Self.dockerd!, [
            "--config-file", directory + "/daemon.json",
            "--data-root", directory + "/data", "--exec-root", directory + "/exec", "--pidfile", directory + "/dockerd.pid",
            "-H", host, "--storage-driver", storageDriver,
            "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
        ], logPath: logPath, environment: environment, reaped: false)
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while Date() < deadline {
            guard daemon.isRunning else {
                if log.contains("driver not supported") || log.contains(storageDriver) { return false }
                throw Failure(what: "dockerd exited", output: log)
            }
            if let version = try? await docker(["version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"]) {
                let parts = version.split(separator: " ")
                serverVersion = parts.first.map(String.init) ?? ""
                apiVersion = parts.dropFirst().first.map(String.init) ?? ""
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        daemon.stop()
        throw Failure(what: "dockerd did not answer within \(Int(Patience.seconds)) s", output: log)
    }

    /// `docker import` of a root file system holding busybox and a link for each of its applets.
    private func importImage() async throws {
        let root = directory + "/image/rootfs"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.busybox!, toPath: root + "/bin/busybox")
        let applets = try await Command.run(Self.busybox!, ["--list"])
        for applet in applets.output.split(separator: "\n") where applet != "busybox" {
            try FileManager.default.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
        }
        let tar = directory + "/image/rootfs.tar"
        let packed = try await Command.run("/bin/tar", ["-C", root, "-cf", tar, "."])
        guard packed.status == 0 else { throw Failure(what: "tar", output: packed.output) }
        try await docker(["import", tar, Self.image])
    }

    // MARK: - Using it

    /// Runs the Docker CLI against this engine; returns its output.
    /// - Throws: when it exits non-zero, with what it said.
    @discardableResult
    public func docker(_ arguments: [String], timeout: TimeInterval = Patience.seconds) async throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_HOST"] = host
        environment["DOCKER_CONFIG"] = directory + "/cli"
        let result = try await Command.run(Self.cli!, arguments, timeout: timeout, environment: environment)
        guard result.status == 0 else { throw Failure(what: "docker \(arguments.joined(separator: " "))", output: result.output) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The body of `GET path` (e.g. `/v1.41/tasks`) from the engine's socket, as it sent it.
    public func get(_ path: String) async throws -> Data {
        let result = try await Command.runCapturingBytes("/usr/bin/curl", ["-sS", "--fail", "--max-time", "\(Int(Patience.seconds))", "--unix-socket",
                                                                            socketPath, "http://docker" + path], timeout: Patience.seconds + 5)
        guard result.status == 0 else { throw Failure(what: "GET \(path)", output: String(decoding: result.output, as: UTF8.self)) }
        return result.output
    }

    /// What the engine lists now (networks, then services, then tasks, in the API version it speaks): what
    /// the tests compare RouteLedger's routes with.
    public func listing() async throws -> EngineListing {
        let api = "/v" + apiVersion
        return try EngineListing(networks: try await get(api + "/networks"), services: try await get(api + "/services"),
                                 tasks: try await get(api + "/tasks"))
    }

    /// Waits until the cluster is at rest (``EngineListing/isSettled``), and returns that listing.
    @discardableResult
    public func waitUntilSettled() async throws -> EngineListing {
        try await wait(for: "the cluster to settle") { $0.isSettled }
    }

    /// Waits until what the engine lists satisfies `condition`, and returns that listing.
    @discardableResult
    public func wait(for what: String, until condition: (EngineListing) -> Bool) async throws -> EngineListing {
        var last: EngineListing?
        let reached = try await Patience.wait {
            last = try await listing()
            return condition(last!)
        }
        guard reached, let last else { throw Failure(what: "waiting for \(what)", output: last.map { "\($0.tasks)" } ?? "") }
        return last
    }

    /// `docker service create` of a busybox web server (`httpd` on port 8080) that stops within a second
    /// (busybox httpd ignores SIGTERM), attached to `network`, with `labels`; `arguments` go before the image.
    public func createService(_ name: String, network: String, replicas: Int = 1, labels: [String: String],
                              arguments: [String] = []) async throws {
        let labelArguments = labels.sorted { $0.key < $1.key }.flatMap { ["--label", "\($0.key)=\($0.value)"] }
        try await docker(["service", "create", "--detach", "--no-resolve-image", "--name", name, "--network", network,
                       "--replicas", "\(replicas)", "--stop-grace-period", "1s"] + labelArguments + arguments
                      + [Self.image, "httpd", "-f", "-p", "8080"])
    }

    /// Removes every service and every network the tests made (what a failed test may have left), and
    /// waits until their tasks are gone.
    public func removeEverything() async throws {
        let services = try await docker(["service", "ls", "--quiet"])
        if !services.isEmpty { try await docker(["service", "rm"] + services.split(separator: "\n").map(String.init)) }
        try await wait(for: "the services' tasks to stop") { $0.services.isEmpty && !$0.tasks.contains { $0.state == "running" } }
        let networks = try await docker(["network", "ls", "--quiet", "--filter", "scope=swarm", "--filter", "driver=overlay"])
        for network in networks.split(separator: "\n").map(String.init) where !(try await docker(["network", "inspect", "--format", "{{.Ingress}}", network]) == "true") {
            try await docker(["network", "rm", network])
        }
    }

    /// The daemon's log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    struct Failure: Error, CustomStringConvertible {
        var what: String
        var output: String
        var description: String { "\(what) failed: \(output.suffix(3000))" }
    }
}
