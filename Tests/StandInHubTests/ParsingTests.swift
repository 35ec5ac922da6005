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
}
