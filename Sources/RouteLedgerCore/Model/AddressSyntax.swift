/// Syntax checks for the addresses Docker reports, byte by byte (this runs for every task event).
enum AddressSyntax {
    /// An IPv4 or IPv6 address with an optional `/prefix`.
    static func isValidCIDR(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var end = bytes.count
            var prefix = -1
            if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
                end = slash
                let digits = bytes[(slash + 1)...]
                guard !digits.isEmpty, digits.count <= 3 else { return false }
                prefix = 0
                for byte in digits {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
                    prefix = prefix * 10 + Int(byte - UInt8(ascii: "0"))
                }
            }
            let ip = UnsafeBufferPointer(rebasing: bytes[..<end])
            if ip.contains(UInt8(ascii: ":")) { return prefix <= 128 && isValidIPv6(ip) }
            return prefix <= 32 && isValidIPv4(ip)
        }
    }

    /// Four decimal octets 0–255 without leading zeros.
    static func isValidIPv4(_ ip: UnsafeBufferPointer<UInt8>) -> Bool {
        var octets = 0
        var value = 0
        var digits = 0
        var leadingZero = false
        for byte in ip {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return false }
                octets += 1
                value = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !leadingZero || digits == 0 else { return false }
            if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            guard value <= 255 else { return false }
        }
        return octets == 3 && digits > 0
    }

    /// Hex groups of up to 4 digits separated by `:`, at most one `::`, optionally ending in an IPv4 address.
    static func isValidIPv6(_ ip: UnsafeBufferPointer<UInt8>) -> Bool {
        guard ip.count >= 2, ip.count <= 45 else { return false }
        var groups = 0
        var groupLength = 0
        var compressed = false
        var i = 0
        if ip[0] == UInt8(ascii: ":") {
            guard ip[1] == UInt8(ascii: ":") else { return false }
            compressed = true
            i = 2
            if i == ip.count { return true }
        }
        while i < ip.count {
            let byte = ip[i]
            if byte == UInt8(ascii: ":") {
                guard groupLength > 0 else { return false }
                groups += 1
                groupLength = 0
                if i + 1 < ip.count, ip[i + 1] == UInt8(ascii: ":") {
                    guard !compressed else { return false }
                    compressed = true
                    i += 2
                    if i == ip.count { return groups <= 7 }
                    continue
                }
                guard i + 1 < ip.count else { return false }
            } else if byte == UInt8(ascii: ".") {
                // Embedded IPv4 in the last 32 bits.
                let start = i - groupLength
                guard isValidIPv4(UnsafeBufferPointer(rebasing: ip[start...])) else { return false }
                groups += 2
                return compressed ? groups <= 7 : groups == 8
            } else {
                guard isHexDigit(byte), groupLength < 4 else { return false }
                groupLength += 1
            }
            i += 1
        }
        groups += 1
        return compressed ? groups <= 7 : groups == 8
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }
}
