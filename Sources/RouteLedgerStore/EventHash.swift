import Crypto
import RouteLedgerCore

/// The SHA-256 chain over stored events: each hash covers every stored column of the event and the
/// previous event's hash, so changing, removing or reordering any event breaks every hash after it.
enum EventHash {
    /// The predecessor of the first event.
    static let genesis = [UInt8](repeating: 0, count: 32)

    /// The hash of one event, chained to `previous`. Fields are length-prefixed, so no two events share an input.
    static func chain(previous: [UInt8], seq: Seq, id: String, type: String, time: Timestamp, logTime: Timestamp,
                      recordedAt: Timestamp, data: [UInt8], meta: [UInt8]?) -> [UInt8] {
        var input: [UInt8] = []
        return chain(previous: previous, seq: seq, id: id, type: type, time: time, logTime: logTime,
                     recordedAt: recordedAt, data: data, meta: meta, scratch: &input)
    }

    /// Same, building the hash input in `scratch` (reused across events by the append loop).
    static func chain(previous: [UInt8], seq: Seq, id: String, type: String, time: Timestamp, logTime: Timestamp,
                      recordedAt: Timestamp, data: [UInt8], meta: [UInt8]?, scratch input: inout [UInt8]) -> [UInt8] {
        input.removeAll(keepingCapacity: true)
        input.reserveCapacity(previous.count + data.count + (meta?.count ?? 0) + id.utf8.count + 96)
        input += previous
        appendInteger(seq, to: &input)
        appendField(id.utf8, to: &input)
        appendField(type.utf8, to: &input)
        appendInteger(time.nanosecondsSinceEpoch, to: &input)
        appendInteger(logTime.nanosecondsSinceEpoch, to: &input)
        appendInteger(recordedAt.nanosecondsSinceEpoch, to: &input)
        appendField(data, to: &input)
        if let meta { appendField(meta, to: &input) } else { appendInteger(-1, to: &input) }
        return SHA256.hash(data: input).withUnsafeBytes { Array($0) }
    }

    private static func appendInteger(_ value: Int64, to input: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { input.append(contentsOf: $0) }
    }

    private static func appendField(_ bytes: some Collection<UInt8>, to input: inout [UInt8]) {
        appendInteger(Int64(bytes.count), to: &input)
        input.append(contentsOf: bytes)
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
