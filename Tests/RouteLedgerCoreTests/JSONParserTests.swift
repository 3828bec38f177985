import Testing
@testable import RouteLedgerCore
import RouteLedgerJSON

private func parseText(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try JSONParser.parse(Array(text.utf8))
}

private func syntaxError(_ bytes: [UInt8]) -> JSONSyntaxError? {
    do {
        _ = try JSONParser.parse(bytes)
        return nil
    } catch {
        return error
    }
}

private func documentError(_ text: String) -> DocumentError? {
    do {
        _ = try JSONParser.documents(in: Array(text.utf8))
        return nil
    } catch {
        return error
    }
}

private func nested(_ depth: Int, open: String = "[", close: String = "]", inner: String = "") -> String {
    String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
}

/// Sorts object members by their UTF-8 bytes, recursively (the member order canonical output uses).
private func sortedMembers(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let values): return .array(values.map(sortedMembers))
    case .object(let members):
        return .object(members.map { JSONMember($0.key, sortedMembers($0.value)) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
    default: return value
    }
}

/// A deterministic nested value built from `seed` (no randomness: the same seed gives the same value).
private func generatedValue(_ seed: Int, depth: Int = 0) -> JSONValue {
    let strings = ["", "a", "route", "\u{E9}", "😀", "tab\there", "quote\"back\\slash", "\u{1}\u{1F}", "/path/x", "日本語",
                   "e\u{301}", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"]
    let numbers = ["0", "-0", "8080", "-1.5e3", "1E+2", "0.000001", "123456789012345678901234567890", "-2.5E-10"]
    let kind = depth >= 5 ? seed % 4 : seed % 6
    switch kind {
    case 0: return seed % 3 == 0 ? .null : .bool(seed % 2 == 0)
    case 1: return .number(numbers[seed % numbers.count])
    case 2, 3: return .string(strings[(seed / 3) % strings.count])
    case 4:
        let count = seed % 5
        return .array((0..<count).map { generatedValue((seed &* 31 &+ $0 &* 7 &+ 1) & 0x3FFF_FFFF, depth: depth + 1) })
    default:
        let count = seed % 7
        return .object((0..<count).map { i in
            JSONMember("\(strings[(seed + i) % strings.count])\(i)", generatedValue((seed &* 17 &+ i &* 13 &+ 3) & 0x3FFF_FFFF, depth: depth + 1))
        })
    }
}

@Suite struct JSONParserTests {
    // MARK: - Accepted values

    @Test(arguments: [
        ("null", "null"), ("true", "true"), ("false", "false"),
        ("0", "0"), ("-0", "-0"), ("8080", "8080"), ("-1.5e3", "-1.5e3"), ("1E+2", "1E+2"), ("1e-2", "1e-2"),
        ("0.5", "0.5"), ("-0.0e0", "-0.0e0"), ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("\"\"", "\"\""), ("\"abc\"", "\"abc\""), ("[]", "[]"), ("{}", "{}"), ("[ ]", "[]"), ("{ }", "{}"),
        (" \t\n\r 1 \n\r\t ", "1"), ("[1,[2,[3]],{}]", "[1,[2,[3]],{}]"),
        ("{\"a\" : { \"b\" : [ ] } , \"c\":null}", "{\"a\":{\"b\":[]},\"c\":null}"),
        ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\""),
        ("\"\\u0041\\u00e9\\u00E9\\u20AC\"", "\"Aéé€\""),
        ("\"\\ud83d\\ude00\"", "\"😀\""), ("\"\\uDBFF\\uDFFF\"", "\"\u{10FFFF}\""),
        ("\"\\u0000\\u001F\"", "\"\\u0000\\u001f\""),
        ("\"é😀日本\"", "\"é😀日本\""), ("\"a long string with no escapes at all, longer than a word\"",
                                     "\"a long string with no escapes at all, longer than a word\""),
        ("\"mixed \\n escapes é and \\u00e9 text\"", "\"mixed \\n escapes é and é text\""),
        ("{\"\u{E9}\":1,\"e\\u0301\":2}", "{\"e\u{301}\":2,\"\u{E9}\":1}"),
        ("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}"),
    ])
    func acceptsValidJSON(input: String, canonical: String) throws {
        let value = try parseText(input)
        #expect(value.canonicalString == canonical)
    }

    @Test(arguments: [
        [0x22, 0xC2, 0x80, 0x22],                    // U+0080
        [0x22, 0xDF, 0xBF, 0x22],                    // U+07FF
        [0x22, 0xE0, 0xA0, 0x80, 0x22],              // U+0800
        [0x22, 0xED, 0x9F, 0xBF, 0x22],              // U+D7FF
        [0x22, 0xEE, 0x80, 0x80, 0x22],              // U+E000
        [0x22, 0xEF, 0xBF, 0xBF, 0x22],              // U+FFFF
        [0x22, 0xF0, 0x90, 0x80, 0x80, 0x22],        // U+10000
        [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22],        // U+10FFFF
    ] as [[UInt8]])
    func acceptsUTF8Boundaries(bytes: [UInt8]) throws {
        let value = try JSONParser.parse(bytes)
        #expect(value.stringValue.map { Array($0.utf8) } == Array(bytes.dropFirst().dropLast()))
    }

    @Test func parsesStructure() throws {
        let value = try parseText(#"{"b":[1,"x",true,null],"a":{"n":-2}}"#)
        #expect(value == .object([
            JSONMember("b", .array([.number("1"), .string("x"), .bool(true), .null])),
            JSONMember("a", .object([JSONMember("n", .number("-2"))])),
        ]))
    }

    @Test func acceptsAllInputCollections() throws {
        let text = #"{"k":[1,2,"v"]}"#
        let bytes = Array(text.utf8)
        let expected = try JSONParser.parse(bytes)
        #expect(try JSONParser.parse(bytes[...]) == expected)
        #expect(try JSONParser.parse(text.utf8) == expected)
        #expect(try bytes.withUnsafeBytes { raw in try JSONParser.parse(raw) } == expected)
        #expect(try JSONParser.parse(AnyCollection(bytes)) == expected)  // no contiguous storage
        let padded: [UInt8] = Array("xx".utf8) + bytes + Array("yy".utf8)
        #expect(try JSONParser.parse(padded[2..<(padded.count - 2)]) == expected)
    }

    @Test func acceptsNestingUpToTheLimit() throws {
        #expect(try parseText(nested(64)).canonicalString == nested(64))
        #expect(try parseText(nested(32, open: "[{\"k\":", close: "}]", inner: "1")).canonicalString
            == nested(32, open: "[{\"k\":", close: "}]", inner: "1"))
    }

    // MARK: - Rejected values

    @Test(arguments: [
        ("", 0, "unexpected end of input"),
        ("   \n", 4, "unexpected end of input"),
        ("01", 0, "leading zeros"),
        ("-01", 1, "leading zeros"),
        ("[00]", 1, "leading zeros"),
        ("+1", 0, "must not start with '+'"),
        (".5", 0, "must start with a digit"),
        ("-.5", 1, "expected a digit after '-'"),
        ("1.", 2, "expected a digit after the decimal point"),
        ("1.e5", 2, "expected a digit after the decimal point"),
        ("1e", 2, "expected a digit in the exponent"),
        ("1e+", 3, "expected a digit in the exponent"),
        ("-", 1, "expected a digit after '-'"),
        ("--1", 1, "expected a digit after '-'"),
        ("NaN", 0, "unexpected character 'N'"),
        ("Infinity", 0, "unexpected character 'I'"),
        ("-Infinity", 1, "expected a digit after '-'"),
        ("0x10", 1, "unexpected data after the JSON value"),
        ("tru", 0, "invalid literal; expected 'true'"),
        ("nul", 0, "invalid literal; expected 'null'"),
        ("True", 0, "unexpected character 'T'"),
        ("falsey", 5, "unexpected data after the JSON value"),
        ("falsy", 0, "invalid literal; expected 'false'"),
        ("1 2", 2, "unexpected data after the JSON value"),
        ("{} {}", 3, "unexpected data after the JSON value"),
        ("[1,]", 2, "trailing comma before ']'"),
        ("[1,\n ]", 2, "trailing comma before ']'"),
        ("{\"a\":1,}", 6, "trailing comma before '}'"),
        ("[,1]", 1, "expected a value"),
        ("[1 2]", 3, "expected ',' or ']' after array element"),
        ("[1", 2, "unexpected end of input"),
        ("[", 1, "unexpected end of input"),
        ("{", 1, "unexpected end of input"),
        ("{\"a\" 1}", 5, "expected ':' after object key"),
        ("{\"abcdefghijklm\" 1}", 17, "expected ':' after object key"),
        ("{a:1}", 1, "expected '\"' to begin an object key"),
        ("{'a':1}", 1, "expected '\"' to begin an object key"),
        ("{\"a\":1 \"b\":2}", 7, "expected ',' or '}' after object member"),
        ("{\"a\":}", 5, "expected a value"),
        ("{\"a\":1", 6, "unexpected end of input"),
        ("\"abc", 0, "unterminated string"),
        ("\"abcdefghijklmnopqrstuvwxyz", 0, "unterminated string"),
        ("\"a\nb\"", 2, "control character byte 0x0A must be escaped"),
        ("\"a\tb\"", 2, "control character byte 0x09 must be escaped"),
        ("\"0123456789\u{1}\"", 11, "control character byte 0x01 must be escaped"),
        ("\"\\x\"", 1, "invalid escape '\\x'"),
        ("\"\\U0041\"", 1, "invalid escape '\\U'"),
        ("\"\\'\"", 1, "invalid escape '\\''"),
        ("\"\\", 1, "unterminated escape sequence"),
        ("\"\\u12\"", 1, "invalid \\u escape"),
        ("\"\\u12G4\"", 1, "invalid \\u escape"),
        ("\"\\u\"", 1, "invalid \\u escape"),
        ("\"\\ud800\"", 1, "unpaired high surrogate \\uD800"),
        ("\"\\ud800x\"", 1, "unpaired high surrogate"),
        ("\"\\ud800\\u0041\"", 1, "unpaired high surrogate"),
        ("\"\\ud800\\ud800\"", 1, "unpaired high surrogate"),
        ("\"\\ud800\\n\"", 1, "unpaired high surrogate"),
        ("\"\\udc00\"", 1, "unpaired low surrogate \\uDC00"),
        ("\"\\ude00\\ud83d\"", 1, "unpaired low surrogate"),
        ("{\"a\":1,\"a\":2}", 7, "duplicate key \"a\""),
        ("{\"a\":1,\"b\":{\"c\":1,\"c\":2}}", 18, "duplicate key \"c\""),
        ("{\"q\\\"\":1,\"q\\u0022\":2}", 9, "duplicate key \"q\\\"\""),
        ("{\"\\u00e9\":1,\"\u{E9}\":2}", 12, "duplicate key \"\u{E9}\""),
        ("\u{FEFF}{}", 0, "unexpected byte 0xEF"),
        ("é", 0, "unexpected byte 0xC3"),
    ])
    func rejectsInvalidJSON(input: String, offset: Int, reason: String) {
        let error = syntaxError(Array(input.utf8))
        #expect(error?.offset == offset, "\(input)")
        #expect(error?.reason.contains(reason) == true, "\(input): \(String(describing: error))")
    }

    @Test(arguments: [
        ([0x22, 0xC0, 0x80, 0x22], 1, "overlong encoding"),
        ([0x22, 0xC1, 0xBF, 0x22], 1, "overlong encoding"),
        ([0x22, 0xE0, 0x80, 0x80, 0x22], 1, "overlong encoding"),
        ([0x22, 0xE0, 0x9F, 0xBF, 0x22], 1, "overlong encoding"),
        ([0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], 1, "overlong encoding"),
        ([0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22], 1, "overlong encoding"),
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1, "surrogate"),
        ([0x22, 0xED, 0xBF, 0xBF, 0x22], 1, "surrogate"),
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, "above U+10FFFF"),
        ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 1, "above U+10FFFF"),
        ([0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], 1, "invalid byte 0xF8"),
        ([0x22, 0xFF, 0x22], 1, "invalid byte 0xFF"),
        ([0x22, 0x80, 0x22], 1, "unexpected continuation byte 0x80"),
        ([0x22, 0x61, 0xBF, 0x22], 2, "unexpected continuation byte 0xBF"),
        ([0x22, 0xC3, 0x22], 1, "truncated sequence"),
        ([0x22, 0xE2, 0x82, 0x22], 1, "truncated sequence"),
        ([0x22, 0xF0, 0x9F, 0x98, 0x22], 1, "truncated sequence"),
        ([0x22, 0xC3], 1, "truncated sequence"),
        ([0x22, 0xF0, 0x9F], 1, "truncated sequence"),
        ([0x22, 0xC3, 0xA9, 0xC3, 0x41, 0x22], 3, "truncated sequence"),
        ([0x22, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0xE9, 0x22], 9, "truncated sequence"),
    ] as [([UInt8], Int, String)])
    func rejectsInvalidUTF8(bytes: [UInt8], offset: Int, reason: String) {
        let error = syntaxError(bytes)
        #expect(error?.offset == offset)
        #expect(error?.reason.contains("invalid UTF-8") == true)
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        nested(65),
        nested(65, open: "{\"k\":", close: "}", inner: "1"),
        "{\"a\":" + nested(64) + "}",
        nested(100),
    ])
    func rejectsNestingBeyondTheLimit(input: String) {
        let error = syntaxError(Array(input.utf8))
        #expect(error?.reason.contains("depth limit of 64") == true, "\(String(describing: error))")
    }

    @Test func rejectsDuplicateKeysInLargeObjects() throws {
        let keys = (0..<40).map { "\"key\($0)\":\($0)" }
        let ok = "{" + keys.joined(separator: ",") + "}"
        #expect(try parseText(ok).objectValue?.count == 40)
        let late = "{" + (keys + ["\"key3\":0"]).joined(separator: ",") + "}"
        #expect(syntaxError(Array(late.utf8))?.reason == "duplicate key \"key3\"")
        let atSeventeen = "{" + (keys.prefix(17) + ["\"key16\":0"]).joined(separator: ",") + "}"
        #expect(syntaxError(Array(atSeventeen.utf8))?.reason == "duplicate key \"key16\"")
        // Canonically equivalent but byte-distinct keys are distinct keys, in small and large objects alike.
        let equivalent = "{" + (keys + ["\"\u{E9}\":1", "\"e\u{301}\":2"]).joined(separator: ",") + "}"
        #expect(try parseText(equivalent).objectValue?.count == 42)
    }

    @Test func syntaxErrorDescription() {
        let error = syntaxError(Array("{\"abcdefghijklm\" 1}".utf8))
        #expect(error?.description == "at byte 17: expected ':' after object key")
        #expect(error == JSONSyntaxError(offset: 17, reason: "expected ':' after object key"))
    }

    // MARK: - JSONValue helpers

    @Test func valueHelpers() throws {
        let value = try parseText(#"{"s":"x","b":false,"n":8080,"a":[1],"o":{"k":null},"z":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["b"]?.boolValue == false)
        #expect(value["n"]?.intValue == 8080)
        #expect(value["a"]?.arrayValue == [.number("1")])
        #expect(value["o"]?.objectValue == [JSONMember("k", .null)])
        #expect(value["o"]?["k"]?.isNull == true)
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["s"] == nil)
        #expect(value["s"]?.intValue == nil)
        #expect(value["n"]?.stringValue == nil)
        #expect(value.isNull == false)
    }

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("8080", 8080), ("-42", -42),
        ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min),
        ("9223372036854775808", nil), ("1.0", nil), ("1e2", nil), ("1E2", nil), ("-1.5e3", nil),
    ] as [(String, Int?)])
    func intValue(text: String, expected: Int?) throws {
        let value = try parseText(text)
        #expect(value == .number(text))
        #expect(value.intValue == expected)
    }

    @Test(arguments: [
        ("null", "null"), ("true", "a boolean"), ("1", "a number"), ("\"\"", "a string"),
        ("[]", "an array"), ("{}", "an object"),
    ])
    func kindNames(text: String, kind: String) throws {
        #expect(try parseText(text).kindName == kind)
    }

    // MARK: - Canonical form

    @Test func canonicalSortsKeysByUTF8Bytes() throws {
        let value = try parseText(#"{"b":1,"a":{"y":[{"d":1,"c":2}],"x":0},"A":3,"é":4,"z":5,"":6,"aa":7}"#)
        #expect(value.canonicalString
            == #"{"":6,"A":3,"a":{"x":0,"y":[{"c":2,"d":1}]},"aa":7,"b":1,"z":5,"é":4}"#)
        // Members in input order are kept by the value itself.
        #expect(value.objectValue?.map(\.key) == ["b", "a", "A", "é", "z", "", "aa"])
        // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) by bytes.
        #expect(JSONValue.object([JSONMember("😀", .null), JSONMember("｡", .null)]).canonicalString
            == "{\"｡\":null,\"😀\":null}")
        // Hand-built duplicate keys keep their relative order.
        #expect(JSONValue.object([JSONMember("b", .null), JSONMember("a", .number("2")), JSONMember("a", .number("1"))])
            .canonicalString == #"{"a":2,"a":1,"b":null}"#)
        // Large objects sort the same way.
        let many = (0..<40).reversed().map { JSONMember("k\($0)", .number("\($0)")) }
        let expected = (0..<40).map { "k\($0)" }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(try JSONParser.parse(JSONValue.object(many).canonicalBytes).objectValue?.map(\.key) == expected)
    }

    @Test func canonicalIsCompactAndKeepsNumberText() throws {
        let value = try parseText("[ 1E+2 , -0.0 , { \"k\" : [ ] } , \"\" ]")
        #expect(value.canonicalString == "[1E+2,-0.0,{\"k\":[]},\"\"]")
        #expect(value.canonicalBytes == Array(value.canonicalString.utf8))
        var out: [UInt8] = Array("prefix:".utf8)
        value.writeCanonical(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix:" + value.canonicalString)
    }

    @Test(arguments: [
        ("plain", "\"plain\""),
        ("", "\"\""),
        ("\"", "\"\\\"\""),
        ("\\", "\"\\\\\""),
        ("/", "\"/\""),
        ("\u{8}\u{C}\n\r\t", "\"\\b\\f\\n\\r\\t\""),
        ("\u{0}\u{1}\u{B}\u{1F}", "\"\\u0000\\u0001\\u000b\\u001f\""),
        ("\u{7F}", "\"\u{7F}\""),
        ("é😀\u{2028}", "\"é😀\u{2028}\""),
        ("a\"b\\c\nd", "\"a\\\"b\\\\c\\nd\""),
    ])
    func canonicalEscaping(text: String, literal: String) throws {
        var out: [UInt8] = []
        writeJSONString(text, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == literal)
        #expect(try JSONParser.parse(out) == .string(text))
    }

    @Test(arguments: 0..<200)
    func canonicalRoundTripOfGeneratedValues(seed: Int) throws {
        let value = generatedValue(seed &* 2_654_435_761 % 1_000_003)
        let bytes = value.canonicalBytes
        let reparsed = try JSONParser.parse(bytes)
        #expect(reparsed == sortedMembers(value))
        #expect(reparsed.canonicalBytes == bytes)
    }

    @Test func canonicalRoundTripOfFixedTable() throws {
        let values: [JSONValue] = [
            .null, .bool(true), .number("-1.5e3"), .string("é\u{0}"),
            .array([]), .object([]),
            .array([.array([.array([.object([JSONMember("k", .array([.null]))])])])]),
            .object([JSONMember("z", .number("1")), JSONMember("a", .object([JSONMember("y", .string("\\/")),
                                                                            JSONMember("b", .bool(false))]))]),
            .object([JSONMember("e\u{301}", .number("1")), JSONMember("\u{E9}", .number("2"))]),
        ]
        for value in values {
            let reparsed = try JSONParser.parse(value.canonicalBytes)
            #expect(reparsed == sortedMembers(value), "\(value.canonicalString)")
        }
    }

    @Test func canonicalKeepsByteDistinctEquivalentKeysApart() throws {
        let value = try parseText("{\"\u{E9}\":1,\"e\\u0301\":2}")
        let members = try #require(value.objectValue)
        #expect(members.count == 2)
        #expect(Array(value.canonicalString.utf8)
            == Array("{\"e\u{301}\":2,\"\u{E9}\":1}".utf8))
    }

    // MARK: - Documents: JSON Lines

    @Test func jsonLinesLocatesEveryDocumentByLine() throws {
        let input = "\n{\"a\":1}\n\n   \t\n{\"b\":2}\r\n[1,2]\n\"s\"\n  {\"c\":3}  "
        let documents = try JSONParser.documents(in: Array(input.utf8))
        #expect(documents.map(\.location) == [.line(2), .line(5), .line(6), .line(7), .line(8)])
        #expect(documents[0].value == .object([JSONMember("a", .number("1"))]))
        #expect(documents[2].value.kindName == "an array")
        #expect(documents[4].value["c"]?.intValue == 3)
    }

    @Test func jsonLinesReportsTheBadLine() {
        let input = "{\"n\":1}\n{\"n\":2}\n{\"n\":3,}\n{\"n\":4}\n{\"n\":5}\n"
        let error = documentError(input)
        #expect(error?.location == .line(3))
        #expect(error?.description == "line 3: at byte 6: trailing comma before '}'")
    }

    @Test func jsonLinesCountsBlankLines() {
        let input = "{}\n\n\r\n   \n{\"x\" 1}\n{}"
        let error = documentError(input)
        #expect(error?.location == .line(5))
        #expect(error?.reason == "at byte 5: expected ':' after object key")
    }

    @Test(arguments: [
        ("{\"a\":1\r\n{}", 1, 6, "unexpected end of input"),        // the \r is stripped with the \n
        ("{\"a\":\n1}", 1, 5, "unexpected end of input"),           // a value may not span lines
        ("{}\n{} {}\n", 2, 3, "unexpected data after the JSON value"),
        ("{}\n{}\n\"abc", 3, 0, "unterminated string"),
        ("{}\n]\n", 2, 0, "unexpected character ']'"),
        ("{}\n\u{FEFF}{}\n", 2, 0, "unexpected byte 0xEF"),      // a BOM only counts at the very start
    ])
    func jsonLinesErrors(input: String, line: Int, offset: Int, reason: String) {
        let error = documentError(input)
        #expect(error?.location == .line(line), "\(String(describing: error))")
        #expect(error?.reason.hasPrefix("at byte \(offset): ") == true, "\(String(describing: error))")
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test(arguments: ["", " ", "\n", "\n\n\r\n \t\n", "\u{FEFF}", "\u{FEFF}\n  \n"])
    func emptyInputsHaveNoDocuments(input: String) throws {
        #expect(try JSONParser.documents(in: Array(input.utf8)).isEmpty)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let lines = try JSONParser.documents(in: Array("\u{FEFF}{\"a\":1}\n{\"a\":2}".utf8))
        #expect(lines.map(\.location) == [.line(1), .line(2)])
        let array = try JSONParser.documents(in: Array("\u{FEFF} [{\"a\":1}]".utf8))
        #expect(array.map(\.location) == [.index(0)])
    }

    // MARK: - Documents: JSON array

    @Test func jsonArrayLocatesDocumentsByIndex() throws {
        let input = "  \n[ {\"a\":1} ,\n{\"b\":2},[3],\"x\" ]\n  "
        let documents = try JSONParser.documents(in: Array(input.utf8))
        #expect(documents.map(\.location) == [.index(0), .index(1), .index(2), .index(3)])
        #expect(documents[1].value["b"]?.intValue == 2)
        #expect(documents[3].value == .string("x"))
    }

    @Test(arguments: ["[]", " [ ] ", "[\n]\n", "\u{FEFF}[]"])
    func emptyJSONArrayHasNoDocuments(input: String) throws {
        #expect(try JSONParser.documents(in: Array(input.utf8)).isEmpty)
    }

    @Test func jsonArrayReportsTheBadElement() {
        let error = documentError("[{\"a\":1},{\"a\":2},{\"a\":},{\"a\":4}]")
        #expect(error?.location == .index(2))
        #expect(error?.description == "index 2: at byte 22: unexpected character '}'; expected a value")
        #expect(documentError("[{},{},{\"k\":1,\"k\":2}]")?.location == .index(2))
        #expect(documentError("[{}, x]")?.location == .index(1))
        #expect(documentError("[" + nested(65) + "]")?.location == .index(0))
        #expect(documentError("[" + nested(64) + "]") == nil)
    }

    @Test(arguments: [
        ("[{},{}", 6, "unexpected end of input"),
        ("[{},{}\n", 7, "unexpected end of input"),
        ("[", 1, "unexpected end of input"),
        ("[{},]", 3, "trailing comma before ']'"),
        ("[{},", 4, "unexpected end of input"),
        ("[{} {}]", 4, "expected ',' or ']' after array element"),
        ("[{}] {}", 5, "unexpected data after the top-level array"),
        ("[{}]\n[{}]", 5, "unexpected data after the top-level array"),
    ])
    func jsonArrayFramingErrorsHaveNoLocation(input: String, offset: Int, reason: String) {
        let error = documentError(input)
        #expect(error != nil)
        #expect(error?.location == nil)
        #expect(error?.reason.hasPrefix("at byte \(offset): ") == true, "\(String(describing: error))")
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.description == error?.reason)
    }

    @Test func documentErrorAndLocationDescriptions() {
        #expect(DocumentLocation.line(3).description == "line 3")
        #expect(DocumentLocation.index(0).description == "index 0")
        #expect(DocumentError(location: .line(3), reason: "at byte 17: x").description == "line 3: at byte 17: x")
        #expect(DocumentError(location: nil, reason: "at byte 2: y").description == "at byte 2: y")
    }

    // MARK: - Streaming

    private struct Stop: Error {}

    @Test func forEachDocumentStreamsInOrder() throws {
        let bytes = Array("{\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n".utf8)
        var seen: [DocumentLocation] = []
        try bytes.withUnsafeBytes { raw in
            try JSONParser.forEachDocument(in: raw) { seen.append($0.location) }
        }
        #expect(seen == [.line(1), .line(3), .line(4)])
        let listed = try JSONParser.documents(in: bytes)
        #expect(listed.map(\.location) == seen)
    }

    @Test func forEachDocumentStopsAtTheFirstSyntaxError() {
        let bytes = Array("[{\"n\":1},{\"n\":2},{\"n\" 3},{\"n\":4}]".utf8)
        var seen: [DocumentLocation] = []
        #expect(throws: DocumentError.self) {
            try bytes.withUnsafeBytes { raw in
                try JSONParser.forEachDocument(in: raw) { seen.append($0.location) }
            }
        }
        #expect(seen == [.index(0), .index(1)])
    }

    @Test func forEachDocumentRethrowsTheBodyError() {
        let bytes = Array("{}\n{}\n{}\n".utf8)
        var calls = 0
        #expect(throws: Stop.self) {
            try bytes.withUnsafeBytes { raw in
                try JSONParser.forEachDocument(in: raw) { _ in
                    calls += 1
                    if calls == 2 { throw Stop() }
                }
            }
        }
        #expect(calls == 2)
    }

    @Test func forEachDocumentOnEmptyBuffer() throws {
        var calls = 0
        try JSONParser.forEachDocument(in: UnsafeRawBufferPointer(start: nil, count: 0)) { _ in calls += 1 }
        #expect(calls == 0)
    }

    @Test func documentsFromNonContiguousCollection() throws {
        let documents = try JSONParser.documents(in: AnyCollection(Array("{}\n{\"a\":1}".utf8)))
        #expect(documents.map(\.location) == [.line(1), .line(2)])
    }

    @Test func parserIsReusedAcrossManyLines() throws {
        // Many lines of realistic events exercise the reused scratch stacks.
        var text = ""
        for i in 0..<500 {
            text += #"{"id":"evt-\#(i)","type":"task.updated","time":"2026-11-27T10:00:03.5Z","data":{"task":{"id":"t\#(i)","serviceId":"s\#(i % 7)","state":"running","desiredState":"running","addresses":[{"networkId":"n1","addr":"10.0.\#(i % 250).9/24"}]}}}"#
            text += i % 10 == 0 ? "\r\n\n" : "\n"
        }
        let documents = try JSONParser.documents(in: Array(text.utf8))
        #expect(documents.count == 500)
        #expect(documents[499].value["data"]?["task"]?["serviceId"]?.stringValue == "s\(499 % 7)")
        #expect(documents.last?.location == .line(550))
    }
}
