import DockerStandIn
import Foundation
import RouteLedgerCore
import RouteLedgerJSON
import RouteLedgerDocker
import RouteLedgerIngest
import RouteLedgerStore

// `--only ingest`: one Docker ingest round on a 5,000-task cluster listing in the Engine API's shapes (the
// members data/docker/states has, compact as dockerd writes them), against a JSON parse of the same bytes.

/// CPU seconds this process has used (every thread).
func cpuSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// CPU seconds taken by `body`.
func measureCPU(_ body: () throws -> Void) rethrows -> Double {
    let start = cpuSeconds()
    try body()
    return cpuSeconds() - start
}

/// The three listings of a cluster, as the daemon's responses.
struct MobyCluster {
    var networks: [UInt8]
    var services: [UInt8]
    var tasks: [UInt8]
    var taskCount: Int

    var byteCount: Int { networks.count + services.count + tasks.count }
}

/// A deterministic Swarm cluster: `services` services (30% in vip mode) of `replicas` tasks on 4 overlay
/// networks. `drained` tasks are in a rolling update (desired state shutdown, a new Version.Index) and
/// `scaled` services have a new spec version with one more replica; the rest is as in the base listing.
func mobyCluster(services: Int, replicas: Int, drained: Int = 0, scaled: Int = 0) -> MobyCluster {
    func id(_ kind: UInt64, _ n: Int) -> String {
        var value = (UInt64(n) &+ kind &* 1_000_003) &* 0x9E37_79B9_7F4A_7C15
        var text = ""
        for _ in 0..<25 {
            let digit = Int(value % 36)
            text.append(Character(Unicode.Scalar(UInt8(digit < 10 ? 48 + digit : 87 + digit))))
            value /= 36
            if value == 0 { value = UInt64(n + 7) &* 0xBF58_476D_1CE4_E5B9 }
        }
        return text
    }
    let overlays = (1...4).map { (id: id(1, $0), name: "overlay-\($0)", subnet: "10.\($0).0.0/16") }
    let ingress = (id: "4qvuz4ko70xaltuqbt8956gd1", name: "ingress", subnet: "10.255.0.0/16")
    func networkJSON(_ n: (id: String, name: String, subnet: String), ingress: Bool) -> String {
        #"{"Name":"\#(n.name)","Id":"\#(n.id)","Created":"2026-11-27T09:31:11.912919752Z","Scope":"swarm","Driver":"overlay","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"\#(n.subnet)","Gateway":"\#(n.subnet.replacingOccurrences(of: "0/16", with: "1"))"}]},"Internal":false,"Attachable":false,"Ingress":\#(ingress),"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":null,"Options":{"com.docker.network.driver.overlay.vxlanid_list":"4097"},"Labels":{}}"#
    }
    func attachedNetwork(_ n: (id: String, name: String, subnet: String)) -> String {
        #"{"ID":"\#(n.id)","Version":{"Index":24},"CreatedAt":"2026-11-27T09:40:02.104402211Z","UpdatedAt":"2026-11-27T09:40:02.108813025Z","Spec":{"Name":"\#(n.name)","Labels":{},"DriverConfiguration":{"Name":"overlay"},"IPAMOptions":{"Driver":{},"Configs":[{"Subnet":"\#(n.subnet)","Gateway":"10.0.0.1"}]},"Scope":"swarm"},"DriverState":{"Name":"overlay","Options":{"com.docker.network.driver.overlay.vxlanid_list":"4097"}},"IPAMOptions":{"Driver":{"Name":"default"},"Configs":[{"Subnet":"\#(n.subnet)","Gateway":"10.0.0.1"}]}}"#
    }
    func template(_ image: String, _ network: String) -> String {
        #"{"ContainerSpec":{"Image":"\#(image)","Labels":{"com.docker.stack.namespace":"bench"},"Env":["APP_ENV=production","LOG_LEVEL=info"],"Init":false,"StopGracePeriod":10000000000,"DNSConfig":{},"Isolation":"default"},"Resources":{"Limits":{},"Reservations":{}},"RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},"Placement":{"Platforms":[{"Architecture":"amd64","OS":"linux"}]},"Networks":[{"Target":"\#(network)","Aliases":[]}],"ForceUpdate":0,"Runtime":"container"}"#
    }
    var networks = [networkJSON(ingress, ingress: true)] + overlays.map { networkJSON($0, ingress: false) }
    networks.append(#"{"Name":"bridge","Id":"f2de39df4171b0dc801e8002d1d999b77256983dfc63041c0f34030aa3977566","Created":"2026-11-27T09:30:58.209436612Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{}}"#)
    var serviceJSON: [String] = []
    var taskJSON: [String] = []
    var taskNumber = 0
    for s in 0..<services {
        let serviceID = id(2, s)
        let network = overlays[s % overlays.count]
        let vip = s % 10 < 3
        let image = "example/app-\(s % 40):1.\(s % 7).0@sha256:c4d9d2f4e5d3e3f6e2c6d4fafbf2e7fbd6c3e2f8f4f5e6d7c8b9aa3456cdef01"
        let isScaled = s < scaled
        let labels = #""com.docker.lb.hosts":"app-\#(s).example.com","com.docker.lb.port":"8080"\#(vip ? #","com.docker.lb.backend_mode":"vip""# : "")\#(s % 5 == 1 && !vip ? #","com.docker.lb.sticky_session_cookie":"JSESSIONID""# : ""),"com.docker.stack.namespace":"bench""#
        let octet = 2 + s % 250
        let third = s / 250
        serviceJSON.append(#"{"ID":"\#(serviceID)","Version":{"Index":\#(1000 + s * 3 + (isScaled ? 1 : 0))},"CreatedAt":"2026-11-27T09:41:15.880065305Z","UpdatedAt":"2026-11-27T09:\#(isScaled ? "59" : "41"):15.962229872Z","Spec":{"Name":"app-\#(s)","Labels":{\#(labels)},"TaskTemplate":\#(template(image, network.id)),"Mode":{"Replicated":{"Replicas":\#(replicas + (isScaled ? 1 : 0))}},"UpdateConfig":{"Parallelism":1,"Delay":1000000000,"FailureAction":"pause","Monitor":15000000000,"MaxFailureRatio":0.15,"Order":"stop-first"},"RollbackConfig":{"Parallelism":1,"Delay":1000000000,"FailureAction":"pause","Monitor":15000000000,"MaxFailureRatio":0.15,"Order":"stop-first"},"EndpointSpec":{"Mode":"vip"}},"Endpoint":{"Spec":{"Mode":"vip"},"VirtualIPs":[{"NetworkID":"\#(network.id)","Addr":"10.\#(s % 4 + 1).\#(200 + third).\#(octet)/16"}]}}"#)
        for slot in 1...replicas {
            let isDrained = taskNumber < drained
            let address = "10.\(s % 4 + 1).\(taskNumber / 250 % 200).\(2 + taskNumber % 250)/16"
            let container = String(repeating: "e5d62702a1b48d01", count: 4)
            taskJSON.append(#"{"ID":"\#(id(3, taskNumber))","Version":{"Index":\#(5000 + taskNumber * 2 + (isDrained ? 1 : 0))},"CreatedAt":"2026-11-27T09:41:16.171892745Z","UpdatedAt":"2026-11-27T09:\#(isDrained ? "59" : "41"):18.290032978Z","Labels":{},"Spec":\#(template(image, network.id)),"ServiceID":"\#(serviceID)","Slot":\#(slot),"NodeID":"\#(id(4, taskNumber % 20))","Status":{"Timestamp":"2026-11-27T09:41:18.290032978Z","State":"running","Message":"started","ContainerStatus":{"ContainerID":"\#(container)","PID":677,"ExitCode":0},"PortStatus":{}},"DesiredState":"\#(isDrained ? "shutdown" : "running")","NetworksAttachments":[{"Network":\#(attachedNetwork(network)),"Addresses":["\#(address)"]}]}"#)
            taskNumber += 1
        }
    }
    func array(_ items: [String]) -> [UInt8] { Array(("[" + items.joined(separator: ",") + "]\n").utf8) }
    return MobyCluster(networks: array(networks), services: array(serviceJSON), tasks: array(taskJSON), taskCount: taskNumber)
}

/// Runs the ingest benchmark and prints its table.
func ingestBenchmark(runs: Int) throws {
    let base = mobyCluster(services: 500, replicas: 10)
    let changed = mobyCluster(services: 500, replicas: 10, drained: 500, scaled: 50)
    print(String(format: "listing: %d networks, 500 services, %d tasks; %.1f MiB (tasks %.1f MiB), compact JSON in the Engine API's shapes",
                 6, base.taskCount, Double(base.byteCount) / 1_048_576, Double(base.tasks.count) / 1_048_576))
    func parse(_ cluster: MobyCluster) throws -> DockerListing {
        var listing = DockerListing()
        listing.networks = try MobyJSON.networks(cluster.networks)
        listing.services = try MobyJSON.services(cluster.services, skipped: &listing.skipped)
        listing.tasks = try MobyJSON.tasks(cluster.tasks, skipped: &listing.skipped)
        return listing
    }
    let observedAt = Timestamp(rfc3339: "2026-11-27T10:00:00Z")!
    // The folded state of the base listing, as the log holds it after the first round.
    let baseListing = try parse(base)
    var state = ClusterState()
    var seq: Seq = 0
    let firstEvents = Reconciler.events(for: baseListing, against: state, through: 0, observedAt: observedAt)
    for event in firstEvents {
        seq += 1
        state.apply(event.event, seq: seq)
    }
    precondition(Reconciler.events(for: baseListing, against: state, through: seq, observedAt: observedAt).isEmpty)

    var foundation: [Double] = [], tree: [Double] = [], moby: [Double] = [], steady: [Double] = [], change: [Double] = []
    var first: [Double] = [], socketSteady: [Double] = [], socketFirst: [Double] = []
    var changeCount = 0
    for _ in 1...runs {
        foundation.append(try measureCPU {
            for body in [base.networks, base.services, base.tasks] { blackHole(try JSONSerialization.jsonObject(with: Data(body))) }
        })
        tree.append(try measureCPU {
            for body in [base.networks, base.services, base.tasks] { blackHole(try JSONParser.parse(body)) }
        })
        moby.append(try measureCPU { blackHole(try parse(base)) })
        steady.append(try measureCPU {
            let listing = try parse(base)
            precondition(Reconciler.events(for: listing, against: state, through: seq, observedAt: observedAt).isEmpty)
        })
        change.append(try measureCPU {
            let listing = try parse(changed)
            let events = Reconciler.events(for: listing, against: state, through: seq, observedAt: observedAt)
            changeCount = events.count
            blackHole(events.jsonLines)
        })
        first.append(try measureCPU {
            let listing = try parse(base)
            blackHole(Reconciler.events(for: listing, against: ClusterState(), through: 0, observedAt: observedAt).jsonLines)
        })
        let (steadySeconds, firstSeconds) = try socketRounds(base)
        socketSteady.append(steadySeconds)
        socketFirst.append(firstSeconds)
    }
    let ms = { (values: [Double]) in median(values) * 1000 }
    print("")
    print("| one round on a 5,000-task listing (CPU time, median of \(runs)) | ms | / JSONSerialization parse | target |")
    print("|---|---|---|---|")
    print(String(format: "| baseline: `JSONSerialization.jsonObject` of the three bodies | %.1f | 1.00 | |", ms(foundation)))
    print(String(format: "| the core's JSON tree parse (`JSONParser.parse`) of the same bytes | %.1f | %.2f | |", ms(tree), median(tree) / median(foundation)))
    print(String(format: "| parse into the routing model (`MobyJSON`) | %.1f | %.2f | |", ms(moby), median(moby) / median(foundation)))
    print(String(format: "| parse + reconcile, nothing changed (the usual round) | %.1f | %.2f | < 1,000 ms |", ms(steady), median(steady) / median(foundation)))
    print(String(format: "| parse + reconcile + encode, %d changes (500 tasks drained, 50 services scaled) | %.1f | %.2f | < 1,000 ms |", changeCount, ms(change), median(change) / median(foundation)))
    print(String(format: "| parse + reconcile + encode, first round (%d events from an empty log) | %.1f | %.2f | < 1,000 ms |", firstEvents.count, ms(first), median(first) / median(foundation)))
    print(String(format: "| whole round over a unix socket (stand-in daemon in process), store holds the cluster | %.1f | %.2f | < 1,000 ms |", ms(socketSteady), median(socketSteady) / median(foundation)))
    print(String(format: "| whole first round over the socket, appending %d events to an empty log (synchronous=FULL) | %.1f | %.2f | |", firstEvents.count, ms(socketFirst), median(socketFirst) / median(foundation)))
}

/// A whole `ingest docker --once` round in process over a unix socket: the stand-in serves `cluster`; first into
/// an empty log (CPU seconds of that round), then again with the log holding it (nothing to append). The CPU time
/// includes the stand-in's serving, which runs in this process too.
func socketRounds(_ cluster: MobyCluster) throws -> (steady: Double, first: Double) {
    let path = temporaryPath("ingest")
    removeDatabase(path)
    defer { removeDatabase(path) }
    let result = ResultBox()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            let standIn = try await DockerStandIn.start(socketPath: "/tmp/rl-bench-\(getpid()).sock")
            standIn.serve("/version", Array(#"{"Version":"27.0.1","ApiVersion":"1.47","MinAPIVersion":"1.24"}"#.utf8))
            standIn.serve("/networks", cluster.networks)
            standIn.serve("/services", cluster.services)
            standIn.serve("/tasks", cluster.tasks)
            let log = try EventLog(path: path)
            let ingest = DockerIngest(client: DockerClient(endpoint: DockerEndpoint(address: .unix(path: standIn.socketPath))),
                                      journal: StoreJournal(log: log))
            let connection = try await ingest.client.negotiate()
            var start = cpuSeconds()
            let (_, firstRound) = try await ingest.runOnce(connection)
            let first = cpuSeconds() - start
            precondition(firstRound.append.appended > 5_000)
            start = cpuSeconds()
            let (_, steadyRound) = try await ingest.runOnce(connection)
            let steady = cpuSeconds() - start
            precondition(steadyRound.events.isEmpty)
            await standIn.stop()
            result.set(.success((steady, first)))
        } catch {
            result.set(.failure(error))
        }
        done.signal()
    }
    done.wait()
    return try result.get()
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<(Double, Double), any Error> = .failure(CancellationError())
    func set(_ value: Result<(Double, Double), any Error>) {
        lock.lock()
        self.value = value
        lock.unlock()
    }
    func get() throws -> (Double, Double) {
        lock.lock()
        defer { lock.unlock() }
        return try value.get()
    }
}
