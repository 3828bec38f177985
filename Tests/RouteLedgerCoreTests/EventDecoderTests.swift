import RouteLedgerSimulator
import Testing
@testable import RouteLedgerCore
@testable import RouteLedgerJSON

func decodeLine(_ line: String) throws -> IncomingEvent {
    var text = line
    return try text.withUTF8 { try EventDecoder.decode(UnsafeRawBufferPointer($0), at: .line(1)) }
}

/// An event that must be refused: the field named and words the reason must contain.
struct Refusal: Sendable, CustomTestStringConvertible {
    let line: String
    let field: String?
    let reason: String
    var testDescription: String { "\(field ?? "-"): \(reason)" }
}

let task = #"{"id":"t1","serviceId":"s1","state":"running","desiredState":"running","addresses":[{"networkId":"n1","addr":"10.0.0.2/24"}]}"#

let refusals: [Refusal] = [
    Refusal(line: #"[1]"#, field: nil, reason: "an event must be a JSON object, found an array"),
    Refusal(line: #"{"data":{}}"#, field: "type", reason: "required field is missing"),
    Refusal(line: #"{"type":"task.updated"}"#, field: "data", reason: "required field is missing"),
    Refusal(line: #"{"type":"service.exploded","data":{}}"#, field: "type", reason: "unknown event type \"service.exploded\""),
    Refusal(line: #"{"type":7,"data":{}}"#, field: "type", reason: "expected a string, found a number"),
    Refusal(line: #"{"id":"","type":"task.removed","data":{"taskId":"t"}}"#, field: "id", reason: "must be 1 to 200 characters"),
    Refusal(line: #"{"id":"\#(String(repeating: "x", count: 201))","type":"task.removed","data":{"taskId":"t"}}"#, field: "id", reason: "found 201"),
    Refusal(line: #"{"type":"task.removed","time":"yesterday","data":{"taskId":"t"}}"#, field: "time", reason: "is not an RFC 3339 time"),
    Refusal(line: #"{"type":"task.removed","data":{"taskId":"t"},"tpye":1}"#, field: "tpye", reason: "unknown field"),
    Refusal(line: #"{"type":"task.removed","data":[]}"#, field: "data", reason: "expected an object, found an array"),
    Refusal(line: #"{"type":"task.removed","data":{}}"#, field: "data.taskId", reason: "required field is missing"),
    Refusal(line: #"{"type":"task.removed","data":{"taskId":""}}"#, field: "data.taskId", reason: "must not be empty"),
    Refusal(line: #"{"type":"task.removed","data":{"taskId":"t"},"meta":{"n":1}}"#, field: "meta.n", reason: "expected a string, found a number"),
    Refusal(line: #"{"type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"runing","desiredState":"running"}}}"#,
            field: "data.task.state", reason: "unknown task state \"runing\""),
    Refusal(line: #"{"type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"running"}}}"#,
            field: "data.task.desiredState", reason: "required field is missing"),
    Refusal(line: #"{"type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"running","desiredState":"running","addresses":[{"networkId":"n1","addr":"10.0.0.256/24"}]}}}"#,
            field: "data.task.addresses[0].addr", reason: "\"10.0.0.256/24\" is not an IP address"),
    Refusal(line: #"{"type":"task.updated","data":{"task":{"id":"t1","serviceId":"s1","state":"running","desiredState":"running","slot":1.5}}}"#,
            field: "data.task.slot", reason: "expected an integer, found 1.5"),
    Refusal(line: #"{"type":"service.created","data":{"service":{"id":"s1","name":"web","labels":{"com.docker.lb.port":8080}}}}"#,
            field: "data.service.labels.com.docker.lb.port", reason: "expected a string, found a number"),
    Refusal(line: #"{"type":"service.created","data":{"service":{"id":"s1","name":"web","replicas":-1}}}"#,
            field: "data.service.replicas", reason: "must not be negative"),
    Refusal(line: #"{"type":"service.created","data":{"service":{"id":"s1","name":"web","networks":["n1",2]}}}"#,
            field: "data.service.networks[1]", reason: "expected a string, found a number"),
    Refusal(line: #"{"type":"network.created","data":{"network":{"id":"n1","name":"demo","ingress":"yes"}}}"#,
            field: "data.network.ingress", reason: "expected true or false, found a string"),
    Refusal(line: #"{"type":"proxy.rejected","data":{"cluster":"","version":"v1","proxy":"p1"}}"#,
            field: "data.error", reason: "required field is missing"),
    Refusal(line: #"{"type":"proxy.failed","data":{"cluster":"","version":"v1","proxy":"p1"}}"#,
            field: "data.error", reason: "required field is missing"),
    Refusal(line: #"{"type":"config.changed","data":{"maxWaitNanoseconds":5}}"#,
            field: "data.settleNanoseconds", reason: "required field is missing"),
    Refusal(line: #"{"type":"config.changed","data":{"settleNanoseconds":-1}}"#,
            field: "data.settleNanoseconds", reason: "must be 0 or more, found -1"),
    Refusal(line: #"{"type":"config.changed","data":{"settleNanoseconds":2000000000,"maxWaitNanoseconds":1000}}"#,
            field: "data.maxWaitNanoseconds", reason: "must be at least settleNanoseconds (2000000000), found 1000"),
]

@Suite("Event format v1 decoding")
struct EventDecoderTests {
    @Test("bad events are refused naming the field and the reason", arguments: refusals)
    func refused(_ refusal: Refusal) {
        #expect {
            try decodeLine(refusal.line)
        } throws: { error in
            guard let error = error as? EventValidationError else { return false }
            return error.location == .line(1) && error.field == refusal.field && error.reason.contains(refusal.reason)
        }
    }

    @Test("malformed JSON and duplicate keys are syntax errors")
    func syntax() {
        #expect(throws: JSONSyntaxError.self) { try decodeLine(#"{"type":"task.removed","data":{"taskId":"t"}"#) }
        #expect(throws: JSONSyntaxError.self) { try decodeLine(#"{"type":"task.removed","type":"task.removed","data":{"taskId":"t"}}"#) }
        #expect(throws: JSONSyntaxError.self) { try decodeLine(#"{"type":"task.removed","data":{"taskId":"t","taskId":"u"}}"#) }
    }

    @Test("a task event decodes to its typed payload; the data is kept as written, compact")
    func typedTask() throws {
        let event = try decodeLine(#"{"id":"e1","type":"task.updated","time":"2026-11-27T10:00:03.5Z","data": {"task" : \#(task)}}"#)
        #expect(event.id == "e1")
        #expect(event.time == Timestamp(rfc3339: "2026-11-27T10:00:03.5Z"))
        #expect(String(decoding: event.data, as: UTF8.self) == #"{"task":\#(task)}"#)
        guard case .taskUpdated(let t) = event.event else { Issue.record("not a task event"); return }
        #expect(t.id == "t1" && t.serviceID == "s1" && t.isRoutable)
        #expect(t.addresses == [NetworkAddress(networkID: "n1", cidr: "10.0.0.2/24")])
        #expect(t.addresses[0].ip == "10.0.0.2")
    }

    @Test("members may come in any order: data before type")
    func dataBeforeType() throws {
        let event = try decodeLine(#"{"data":{"taskId":"t9"},"type":"task.removed"}"#)
        #expect(event.event == .taskRemoved("t9"))
    }

    @Test("unknown fields inside data are kept, not interpreted")
    func unknownDataFields() throws {
        let event = try decodeLine(#"{"type":"task.removed","data":{"taskId":"t9","note":{"a":[1,2]}}}"#)
        #expect(event.event == .taskRemoved("t9"))
        #expect(String(decoding: event.data, as: UTF8.self) == #"{"taskId":"t9","note":{"a":[1,2]}}"#)
    }

    @Test("fields that events --json prints are accepted and ignored")
    func exportedFields() throws {
        let event = try decodeLine(#"{"seq":4,"id":"a","type":"task.removed","time":"2026-11-27T10:00:00Z","logTime":"2026-11-27T10:00:00Z","recordedAt":"2026-11-27T10:00:00Z","data":{"taskId":"t"},"meta":null}"#)
        #expect(event.id == "a")
        #expect(event.meta == nil)
    }

    @Test("stored payloads decode back to the same typed event")
    func storedRoundTrip() throws {
        let event = try decodeLine(#"{"type":"service.created","data":{"service":{"id":"s1","name":"web","labels":{"com.docker.lb.hosts":"a"},"replicas":2,"networks":["n1"],"vips":[{"networkId":"n1","addr":"10.0.0.9/24"}],"image":"i","env":["A=1"]}}}"#)
        let again = try EventDecoder.payload(type: event.type, data: String(decoding: event.data, as: UTF8.self))
        #expect(again == event.event)
    }

    @Test("IP addresses", arguments: [
        ("10.0.2.9/24", true), ("10.0.2.9", true), ("255.255.255.255/32", true), ("0.0.0.0/0", true),
        ("10.0.2.256/24", false), ("10.0.2/24", false), ("10.0.2.9/33", false), ("10.00.2.9", false), ("10.0.2.9/", false),
        ("a.b.c.d", false), ("", false), ("fd00::1/64", true), ("::1", true), ("::", true), ("2001:db8::ff00:42:8329", true),
        ("::ffff:10.0.0.1", true), ("2001:db8:0:0:0:0:2:1", true), ("2001:db8::1::2", false), ("fd00::g", false),
        ("1:2:3:4:5:6:7:8:9", false), ("fd00::1/129", false),
    ])
    func addresses(_ text: String, _ valid: Bool) {
        #expect(AddressSyntax.isValidCIDR(text) == valid)
    }
}

@Suite("Names matched without building strings")
struct RawNameTests {
    /// Runs `body` with a raw string over `text`'s bytes.
    func withRaw<T>(_ text: String, _ body: (RawString) -> T) -> T {
        var text = text
        return text.withUTF8 { bytes in
            body(RawString(base: bytes.baseAddress!, start: 0, count: bytes.count, hasEscapes: false))
        }
    }

    @Test("every event type is recognised by its wire name", arguments: EventType.allCases)
    func eventTypes(_ type: EventType) {
        #expect(withRaw(type.rawValue) { EventType($0) } == type)
        #expect(withRaw(type.rawValue + "x") { EventType($0) } == nil)
    }

    @Test("every task state is recognised by Docker's name", arguments: TaskState.allCases)
    func taskStates(_ state: TaskState) {
        #expect(withRaw(state.rawValue) { TaskState($0) } == state)
        #expect(withRaw(String(state.rawValue.dropLast())) { TaskState($0) } == nil)
    }

    @Test("escaped names match by their value")
    func escapedNames() throws {
        let event = try decodeLine(#"{"t\u0079pe":"task.rem\u006fved","data":{"taskId":"t"}}"#)
        #expect(event.event == .taskRemoved("t"))
    }
}

@Suite("Duplicate keys in large objects")
struct LargeObjectTests {
    @Test("a duplicate far into a large object is found")
    func duplicateInLargeObject() {
        let members = (0..<100).map { "\"k\($0)\":\($0)" } + ["\"k3\":0"]
        let text = "{" + members.joined(separator: ",") + "}"
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("a large object without duplicates parses, keys in order")
    func largeObject() throws {
        let members = (0..<20_000).map { "\"k\($0)\":\($0)" }
        let value = try JSONParser.parse(Array(("{" + members.joined(separator: ",") + "}").utf8))
        #expect(value.objectValue?.count == 20_000)
        #expect(value.objectValue?.last?.key == "k19999")
    }
}

@Suite("Event payloads written back")
struct PayloadRoundTripTests {
    @Test("an event's data payload decodes to the same event", arguments: 0..<5)
    func roundTrip(seed: UInt64) throws {
        var history = RandomHistory(seed: seed)
        for _ in 0..<300 {
            let event = history.next()
            let bytes = event.data.canonicalBytes
            let decoded = try bytes.withUnsafeBytes { try EventDecoder.payload(type: event.type, data: $0) }
            #expect(decoded == event)
        }
    }

    @Test("proxy reports keep their kind: applied, rejected by nginx, failed on the proxy's host")
    func proxyReports() throws {
        let report = ProxyReport(cluster: "edge", version: "3e37c1", proxy: "edge-1", error: "nginx -t: open() failed")
        for event in [ClusterEvent.proxyApplied(ProxyReport(cluster: "", version: "3e37c1", proxy: "p")),
                      .proxyRejected(report), .proxyFailed(report)] {
            let bytes = event.data.canonicalBytes
            #expect(try bytes.withUnsafeBytes { try EventDecoder.payload(type: event.type, data: $0) } == event)
        }
        #expect(ClusterEvent.proxyFailed(report).summary(names: NameBook())
                == "proxy edge-1 could not run config 3e37c1 on its host: nginx -t: open() failed")
    }
}
