import Foundation

/// The request line and headers of one HTTP/1.x request, before its body is read.
struct HTTPRequestHead: Sendable {
    var method: String
    /// The request target as sent, path and query together (`/rest/employees/?page=2`).
    var target: String
    /// The path part of the target, without the query.
    var path: String
    /// The raw query string after `?`, or an empty string.
    var rawQuery: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    var version: String
    /// Header names lowercased; a header sent several times has its values joined by `", "`.
    var headers: [String: String]

    /// The value of a header, looked up case-insensitively.
    func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// Whether the connection stays open after this request: HTTP/1.1 defaults to keep-alive, HTTP/1.0 to close.
    var wantsKeepAlive: Bool {
        let tokens = HTTPParsing.headerTokens(header("connection"))
        if tokens.contains("close") { return false }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return true
    }

    /// Whether the body is sent with chunked transfer coding.
    var isChunked: Bool {
        HTTPParsing.headerTokens(header("transfer-encoding")).contains("chunked")
    }

    /// Whether the client waits for `100 Continue` before sending its body (libcurl does this for large bodies).
    var expectsContinue: Bool {
        HTTPParsing.headerTokens(header("expect")) == ["100-continue"]
    }
}

/// Why a request could not be read; each case maps to the status the server answers before closing.
enum HTTPParseError: Error, Equatable {
    case malformed(String)
    case tooLarge
    case unsupportedTransferEncoding

    /// The HTTP status to answer with.
    var status: Int {
        switch self {
        case .malformed: return 400
        case .tooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        }
    }
}

/// Parsers for the pieces of an HTTP request: the head, query strings and form bodies.
enum HTTPParsing {
    /// Parses the bytes of a request head (request line and headers, without the blank line that ends them).
    static func parseHead(_ bytes: ArraySlice<UInt8>) throws -> HTTPRequestHead {
        var lines = splitLines(bytes)
        guard !lines.isEmpty else { throw HTTPParseError.malformed("empty head") }
        let requestLine = lines.removeFirst().split(separator: UInt8(ascii: " "))
        guard requestLine.count == 3 else { throw HTTPParseError.malformed("bad request line") }
        let version = String(decoding: requestLine[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw HTTPParseError.malformed("unsupported version \(version)")
        }
        let headers = try parseHeaderLines(lines)
        let target = requestLine[1]
        let path: String
        let rawQuery: String
        if let question = target.firstIndex(of: UInt8(ascii: "?")) {
            path = String(decoding: target[..<question], as: UTF8.self)
            rawQuery = String(decoding: target[(question + 1)...], as: UTF8.self)
        } else {
            path = String(decoding: target, as: UTF8.self)
            rawQuery = ""
        }
        return HTTPRequestHead(
            method: String(decoding: requestLine[0], as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            path: path, rawQuery: rawQuery, version: version, headers: headers
        )
    }

    /// Splits bytes at CRLF.
    static func splitLines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 13, index + 1 < bytes.endIndex, bytes[index + 1] == 10 {
                lines.append(bytes[lineStart..<index])
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[lineStart..<bytes.endIndex])
        return lines
    }

    /// Parses `Name: value` lines into a dictionary with lowercased names; repeated names are joined by `", "`.
    ///
    /// Works on bytes: Foundation's string functions cost tens of microseconds per head on Linux.
    static func parseHeaderLines(_ lines: [ArraySlice<UInt8>]) throws -> [String: String] {
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw HTTPParseError.malformed("bad header line")
            }
            let name = String(decoding: trimmed(line[..<colon]).map(lowercasedASCII), as: UTF8.self)
            let value = String(decoding: trimmed(line[(colon + 1)...]), as: UTF8.self)
            guard !name.isEmpty else { throw HTTPParseError.malformed("empty header name") }
            if let existing = headers[name] {
                headers[name] = existing + ", " + value
            } else {
                headers[name] = value
            }
        }
        return headers
    }

    /// The bytes without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return bytes[start..<end]
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// The comma-separated tokens of a header value, trimmed and lowercased (`Connection: Keep-Alive, Upgrade`).
    static func headerTokens(_ value: String?) -> [String] {
        guard let value else { return [] }
        return value.utf8.split(separator: UInt8(ascii: ",")).map {
            String(decoding: trimmed(ArraySlice($0)).map(lowercasedASCII), as: UTF8.self)
        }
    }

    /// Decodes `application/x-www-form-urlencoded` text (a body or a query string) into fields.
    ///
    /// `+` means space and `%XX` is a byte; bytes are then read as UTF-8. When a name repeats, the last value wins.
    static func parseForm(_ bytes: [UInt8]) -> [String: String] {
        bytes.withUnsafeBufferPointer { buffer in
            var fields: [String: String] = [:]
            var pairStart = 0
            // Walks the pairs by index over raw memory: a 500-entry batch is some 200 KB, decoded per request.
            while pairStart < buffer.count {
                var pairEnd = pairStart
                var equals: Int?
                while pairEnd < buffer.count, buffer[pairEnd] != UInt8(ascii: "&") {
                    if equals == nil, buffer[pairEnd] == UInt8(ascii: "=") { equals = pairEnd }
                    pairEnd += 1
                }
                if pairEnd > pairStart {
                    let nameEnd = equals ?? pairEnd
                    let name = formDecode(UnsafeBufferPointer(rebasing: buffer[pairStart..<nameEnd]))
                    let valueStart = equals.map { $0 + 1 } ?? pairEnd
                    fields[name] = formDecode(UnsafeBufferPointer(rebasing: buffer[valueStart..<pairEnd]))
                }
                pairStart = pairEnd + 1
            }
            return fields
        }
    }

    /// Decodes a query string into fields, with the same rules as a form body.
    static func parseQuery(_ query: String) -> [String: String] {
        parseForm(Array(query.utf8))
    }

    /// Decodes one form-encoded name or value; a `%` not followed by two hex digits is kept as it is.
    static func formDecode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var output = [UInt8](repeating: 0, count: bytes.count)
        let written = output.withUnsafeMutableBufferPointer { out -> Int in
            var read = 0
            var written = 0
            while read < bytes.count {
                let byte = bytes[read]
                if byte == UInt8(ascii: "+") {
                    out[written] = UInt8(ascii: " ")
                } else if byte == UInt8(ascii: "%"), read + 2 < bytes.count,
                    let high = hexValue(bytes[read + 1]), let low = hexValue(bytes[read + 2]) {
                    out[written] = high << 4 | low
                    read += 2
                } else {
                    out[written] = byte
                }
                read += 1
                written += 1
            }
            return written
        }
        return String(decoding: output[..<written], as: UTF8.self)
    }

    /// Encodes fields as a form body, the way a browser would; used by tests and helpers.
    static func formEncode(_ fields: [(String, String)]) -> String {
        fields.map { formEncodeComponent($0.0) + "=" + formEncodeComponent($0.1) }.joined(separator: "&")
    }

    /// Percent-encodes everything but unreserved characters, and writes spaces as `+`.
    static func formEncodeComponent(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 2)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "*"):
                output.append(byte)
            case UInt8(ascii: " "):
                output.append(UInt8(ascii: "+"))
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The reason phrase for a status code, for the status line.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}
