extension JSONValue {
    /// Appends the canonical form: compact, object keys sorted by their UTF-8 bytes, numbers as written, strings minimally escaped.
    public func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null:
            appendASCII("null", into: &out)
        case .bool(let flag):
            appendASCII(flag ? "true" : "false", into: &out)
        case .number(let text):
            out.append(contentsOf: text.utf8)
        case .string(let text):
            writeJSONString(text, into: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (i, value) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                value.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if members.count > 1 {
                // Sort positions, not members; ties (duplicate keys built by hand) keep their input order.
                withUnsafeTemporaryAllocation(of: Int.self, capacity: members.count) { buffer in
                    var order = buffer
                    for i in 0..<members.count { order.initializeElement(at: i, to: i) }
                    order.sort { a, b in
                        let c = compareUTF8(members[a].key, members[b].key)
                        return c < 0 || (c == 0 && a < b)
                    }
                    for n in 0..<members.count {
                        if n > 0 { out.append(UInt8(ascii: ",")) }
                        let member = members[order[n]]
                        writeJSONString(member.key, into: &out)
                        out.append(UInt8(ascii: ":"))
                        member.value.writeCanonical(into: &out)
                    }
                }
            } else if let member = members.first {
                writeJSONString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The canonical form as bytes.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeCanonical(into: &out)
        return out
    }

    /// The canonical form as a String.
    public var canonicalString: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }
}

/// Appends `s` as a JSON string literal (with quotes) using the canonical escaping.
///
/// `"` and `\` are escaped, U+0008, U+000C, LF, CR and TAB use their short escapes, other control
/// characters below U+0020 become `\u00xx` (lowercase hex); everything else, `/` and non-ASCII included, is raw UTF-8.
public func writeJSONString(_ s: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { bytes in
        var runStart = 0
        for i in 0..<bytes.count {
            let byte = bytes[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                let hexDigits: StaticString = "0123456789abcdef"
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hexDigits.utf8Start[Int(byte >> 4)])
                out.append(hexDigits.utf8Start[Int(byte & 0x0F)])
            }
        }
        if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
    }
    out.append(UInt8(ascii: "\""))
}

/// Compares two strings by their UTF-8 bytes: negative, zero or positive like `memcmp`.
private func compareUTF8(_ a: String, _ b: String) -> Int {
    var a = a, b = b
    return a.withUTF8 { pa in
        b.withUTF8 { pb in
            let n = min(pa.count, pb.count)
            var i = 0
            while i < n {
                if pa[i] != pb[i] { return Int(pa[i]) - Int(pb[i]) }
                i += 1
            }
            return pa.count - pb.count
        }
    }
}

@inline(__always)
private func appendASCII(_ text: StaticString, into out: inout [UInt8]) {
    out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
}
