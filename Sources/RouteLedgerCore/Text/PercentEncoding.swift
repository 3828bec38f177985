/// RFC 3986 percent-encoding of URL query values, for every URL RouteLedger writes (the Docker API's
/// filters, the API's `Link` headers, the page's links).
public enum PercentEncoding {
    /// `text` with its unreserved characters (letters, digits, `-._~`) and the ASCII characters of `keeping`
    /// as they are, and every other byte as `%XX`.
    public static func queryValue(_ text: String, keeping: String = "") -> String {
        let kept = Set(keeping.utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where byte < 0x80 && kept.contains(byte):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(Unicode.Scalar(hex[Int(byte >> 4)])) + String(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }
}
