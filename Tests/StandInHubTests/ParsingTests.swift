import Foundation
import Testing
@testable import StandInHub

@Suite("Parsing forms, heads and JSON")
struct ParsingTests {
    @Test("form decoding turns + into space and decodes percent escapes as UTF-8")
    func formDecoding() {
        let fields = HTTPParsing.parseForm(Array("a=one+two&b=%C3%A9t%C3%A9%2B%26&c=&d&e=50%25&f=%zz".utf8))

        #expect(fields == ["a": "one two", "b": "été+&", "c": "", "d": "", "e": "50%", "f": "%zz"])
    }

    @Test("form encoding round-trips through decoding")
    func formRoundTrip() {
        let original = [("data", "{\"create\": [{\"summary\": \"Fix a+b & c=d 100% ✓\"}]}"), ("k y", "v")]

        let decoded = HTTPParsing.parseForm(Array(StandInHub.formBody(original).utf8))

        #expect(decoded == ["data": original[0].1, "k y": "v"])
        #expect(!StandInHub.formBody(original).contains(" "))
    }

    @Test("query strings decode like forms")
    func query() {
        #expect(HTTPParsing.parseQuery("page=2&after=17") == ["page": "2", "after": "17"])
        #expect(HTTPParsing.parseQuery("") == [:])
    }

    @Test("a head is split into method, path, query and lowercased headers")
    func head() throws {
        let text = "POST /rest/employees/?page=3 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: Close"
        let head = try HTTPParsing.parseHead(ArraySlice(Array(text.utf8)))

        #expect(head.method == "POST")
        #expect(head.path == "/rest/employees/")
        #expect(head.rawQuery == "page=3")
        #expect(head.header("CONTENT-LENGTH") == "0")
        #expect(!head.wantsKeepAlive)
        #expect(throws: HTTPParseError.self) {
            _ = try HTTPParsing.parseHead(ArraySlice(Array("POST / HTTP/2\r\n".utf8)))
        }
    }

    @Test("JSON values keep integers, doubles and booleans apart")
    func jsonTypes() throws {
        let value = try StandInHub.JSONValue.parse("{\"i\": 3, \"d\": 1.0, \"f\": 2.5, \"b\": true, \"n\": null}")

        #expect(value["i"] == .int(3))
        #expect(value["d"] == .double(1.0))
        #expect(value["f"] == .double(2.5))
        #expect(value["b"] == .bool(true))
        #expect(value["n"] == .null)
        #expect(value.jsonText == "{\"b\":true,\"d\":1.0,\"f\":2.5,\"i\":3,\"n\":null}")
        #expect(StandInHub.JSONValue.string("a\"b\\\n\u{1}").jsonText == "\"a\\\"b\\\\\\n\\u0001\"")
    }

    @Test("JSON strings decode escapes and surrogate pairs")
    func jsonStrings() throws {
        let value = try StandInHub.JSONValue.parse(#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\ude00", "plain ünï"]"#)

        #expect(value == ["a\"b\\c/d\n\t", "é😀", "plain ünï"])
    }

    @Test("JSON numbers: big integers become doubles, exponents are doubles, negatives stay integers")
    func jsonNumbers() throws {
        let value = try StandInHub.JSONValue.parse("[-0, -17, 1e3, 2E-2, 99999999999999999999, 0.5]")

        #expect(value == [.int(0), .int(-17), .double(1000), .double(0.02), .double(1e20), .double(0.5)])
    }

    @Test(
        "malformed JSON is refused",
        arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"\\ud800\"", "\"a\u{1}\"", "[1] x",
                    "{'a': 1}", String(repeating: "[", count: 600) + String(repeating: "]", count: 600)]
    )
    func jsonErrors(text: String) {
        #expect(throws: JSONParseError.self) { _ = try StandInHub.JSONValue.parse(text) }
    }

    @Test("JSON text written by the stand-in parses back to the same value")
    func jsonRoundTrip() throws {
        let value: StandInHub.JSONValue = [
            "list": [1, 2.5, "x\u{7}y", nil, true, ["nested": [:]]], "empty": [], "e": "é",
        ]

        #expect(try StandInHub.JSONValue.parse(value.jsonText) == value)
        #expect(try JSONSerialization.jsonObject(with: value.jsonData) is [String: Any])
    }
}
