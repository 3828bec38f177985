import Foundation
import RouteLedgerCore
import Testing
@testable import RouteLedgerSimulator

/// Splits JSON Lines bytes into lines (without their "\n").
private func splitLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
        lines.append(bytes[start..<i])
        start = i + 1
    }
    #expect(start == bytes.count, "the log must end with a newline")
    return lines
}

/// Parses one line as a JSON object.
private func object(_ line: ArraySlice<UInt8>) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
}

/// `YYYY-MM-DDTHH:MM:SS(.fff)Z`, the fixed-width UTC form the simulator writes.
private func isRFC3339UTC(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return false }
    let pattern = Array("dddd-dd-ddTdd:dd:dd".utf8)
    for (i, p) in pattern.enumerated() {
        if p == UInt8(ascii: "d") {
            guard bytes[i] >= 48 && bytes[i] <= 57 else { return false }
        } else if bytes[i] != p {
            return false
        }
    }
    if bytes.count == 20 { return true }
    guard bytes[19] == UInt8(ascii: "."), bytes.count > 21 else { return false }
    return bytes[20..<(bytes.count - 1)].allSatisfy { $0 >= 48 && $0 <= 57 }
}

@Suite("ChurnSimulator")
struct ChurnSimulatorTests {
    @Test("the same seed yields the same bytes, line by line or all at once")
    func sameSeedSameBytes() {
        let configuration = ChurnConfiguration(seed: 7)
        let a = ChurnSimulator.lines(5_000, configuration)
        let b = ChurnSimulator.lines(5_000, configuration)
        #expect(a == b)

        var simulator = ChurnSimulator(configuration)
        var c: [UInt8] = []
        for _ in 0..<5_000 { simulator.nextLine(into: &c) }
        #expect(a == c)
    }

    @Test("different seeds yield different bytes")
    func differentSeedDifferentBytes() {
        let a = ChurnSimulator.lines(2_000, ChurnConfiguration(seed: 1))
        let b = ChurnSimulator.lines(2_000, ChurnConfiguration(seed: 2))
        #expect(a != b)
    }

    @Test("20k lines are well-formed events that form a consistent cluster history")
    func wellFormedLog() throws {
        let count = 20_000
        let bytes = ChurnSimulator.lines(count, ChurnConfiguration())
        let lines = splitLines(bytes)
        try #require(lines.count == count)

        var ids = Set<String>()
        var lastTime = ""
        var types: [String: Int] = [:]
        var createdServices = Set<String>()
        var liveServiceNames: [String: String] = [:]  // name -> id
        var liveTasks: [String: [String: Any]] = [:]
        var removedTasks = Set<String>()
        var sawStartingToRunning = false
        var startingTasks = Set<String>()

        for (index, line) in lines.enumerated() {
            guard let event = object(line) else {
                Issue.record("line \(index + 1) is not a JSON object: \(String(decoding: line, as: UTF8.self))")
                return
            }
            #expect(Set(event.keys) == ["id", "type", "time", "data"], "line \(index + 1)")
            let id = try #require(event["id"] as? String)
            let type = try #require(event["type"] as? String)
            let time = try #require(event["time"] as? String)
            let data = try #require(event["data"] as? [String: Any])
            #expect(ids.insert(id).inserted, "duplicate event id \(id)")
            #expect(isRFC3339UTC(time), "bad time \(time)")
            #expect(time >= lastTime, "time went back at line \(index + 1): \(time) < \(lastTime)")
            lastTime = time
            types[type, default: 0] += 1

            switch type {
            case "network.created":
                let network = try #require(data["network"] as? [String: Any])
                #expect(network["id"] is String && network["name"] is String && network["driver"] is String)
            case "network.removed":
                #expect(data["networkId"] is String)
            case "service.created", "service.updated":
                let service = try #require(data["service"] as? [String: Any])
                let serviceID = try #require(service["id"] as? String)
                let name = try #require(service["name"] as? String)
                #expect(service["labels"] is [String: String])
                #expect(service["replicas"] is Int)
                #expect(service["networks"] is [String])
                #expect(service["vips"] is [[String: String]])
                #expect(service["image"] is String)
                #expect(service["env"] is [String])
                if type == "service.created" {
                    #expect(createdServices.insert(serviceID).inserted, "service \(serviceID) created twice")
                    #expect(liveServiceNames[name] == nil, "two live services named \(name)")
                    liveServiceNames[name] = serviceID
                } else {
                    #expect(liveServiceNames[name] == serviceID, "update of unknown service \(serviceID)")
                }
            case "service.removed":
                let serviceID = try #require(data["serviceId"] as? String)
                let name = liveServiceNames.first { $0.value == serviceID }?.key
                #expect(name != nil, "removal of unknown service \(serviceID)")
                if let name { liveServiceNames[name] = nil }
            case "task.updated":
                let task = try #require(data["task"] as? [String: Any])
                let taskID = try #require(task["id"] as? String)
                let serviceID = try #require(task["serviceId"] as? String)
                let state = try #require(task["state"] as? String)
                #expect(createdServices.contains(serviceID), "task \(taskID) of unknown service \(serviceID)")
                #expect(!removedTasks.contains(taskID), "task \(taskID) updated after removal")
                #expect(task["slot"] is Int && task["nodeId"] is String && task["desiredState"] is String)
                #expect(task["addresses"] is [[String: String]])
                if state == "starting" { startingTasks.insert(taskID) }
                if state == "running" && startingTasks.contains(taskID) { sawStartingToRunning = true }
                liveTasks[taskID] = task
            case "task.removed":
                let taskID = try #require(data["taskId"] as? String)
                #expect(liveTasks.removeValue(forKey: taskID) != nil, "removal of unknown task \(taskID)")
                removedTasks.insert(taskID)
            default:
                Issue.record("unknown event type \(type)")
            }
        }

        // Live task addresses never collide within a network.
        var addresses = Set<String>()
        for task in liveTasks.values {
            for address in task["addresses"] as? [[String: String]] ?? [] {
                let key = (address["networkId"] ?? "") + " " + (address["addr"] ?? "")
                #expect(addresses.insert(key).inserted, "address \(key) held by two live tasks")
            }
        }

        for type in ["network.created", "service.created", "service.updated", "service.removed",
                     "task.updated", "task.removed"] {
            #expect(types[type, default: 0] > 0, "no \(type) event in \(count) lines")
        }
        #expect(sawStartingToRunning)
        let average = Double(bytes.count) / Double(count)
        let mix = types.sorted { $0.value > $1.value }
            .map { "\($0.key) \(String(format: "%.2f", 100 * Double($0.value) / Double(count)))%" }
            .joined(separator: ", ")
        print("ChurnSimulator: \(count) lines, average line length \(String(format: "%.1f", average)) bytes; \(mix)")
        #expect(average > 150 && average < 320)
    }

    @Test("unusual configurations still produce valid logs", arguments: [
        ChurnConfiguration(seed: 3, services: 1, networks: 1, vipFraction: 1, sharedHostFraction: 1),
        ChurnConfiguration(seed: 4, services: 0, networks: 0, vipFraction: -1, sharedHostFraction: 2),
        ChurnConfiguration(seed: 5, services: 12, networks: 9, vipFraction: 0, sharedHostFraction: 0.5),
    ])
    func edgeConfigurations(_ configuration: ChurnConfiguration) {
        let lines = splitLines(ChurnSimulator.lines(3_000, configuration))
        #expect(lines.count == 3_000)
        var ids = Set<String>()
        for line in lines {
            guard let event = object(line), let id = event["id"] as? String else {
                Issue.record("not an event: \(String(decoding: line, as: UTF8.self))")
                return
            }
            #expect(ids.insert(id).inserted)
        }
    }

    @Test("event ids are JSON-escaped")
    func escapedIDPrefix() throws {
        let prefix = "a\"b\\c\nd\u{01}-"
        let lines = splitLines(ChurnSimulator.lines(10, ChurnConfiguration(eventIDPrefix: prefix)))
        #expect(lines.count == 10)
        for (index, line) in lines.enumerated() {
            let event = try #require(object(line))
            #expect(event["id"] as? String == prefix + String(index + 1))
        }
    }

    @Test("the clock prints calendar dates across month and year ends")
    func calendar() {
        for (start, advance, expected) in [
            ("2026-12-31T23:00:00Z", 3_600_000 + 1_500, "2027-01-01T00:00:01.500Z"),
            ("2026-11-30T23:59:59.999Z", 1, "2026-12-01T00:00:00.000Z"),
            ("2028-02-28T23:59:59Z", 1_000, "2028-02-29T00:00:00.000Z"),
            ("2100-02-28T23:59:59Z", 1_000, "2100-03-01T00:00:00.000Z"),
        ] {
            var clock = SimClock(start: Timestamp(rfc3339: start)!)
            clock.advance(milliseconds: advance)
            var out: [UInt8] = []
            clock.write(into: &out)
            #expect(String(decoding: out, as: UTF8.self) == expected)
        }
    }
}
