import Foundation

/// One HTTP request as read from the wire: head and de-chunked body.
struct HTTPRequestMessage: Sendable {
    var head: HTTPRequestHead
    var body: [UInt8]
}

/// One HTTP response to write.
struct HTTPResponse: Sendable {
    var status: Int
    /// Extra headers; `Content-Length` and `Connection` are added when serializing.
    var headers: [(String, String)]
    var body: [UInt8]

    /// A JSON answer.
    static func json(_ value: StandInHub.JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: Array(value.jsonText.utf8)
        )
    }

    /// A plain-text or HTML answer.
    static func text(_ text: String, status: Int, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The bytes of the status line, headers and body, framed with `Content-Length`.
    func serialized(keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPParsing.reasonPhrase(status))\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: body)
        return bytes
    }
}

/// Reads HTTP/1.x requests one after another from a connected socket (keep-alive), and writes answers.
struct HTTPConnection {
    /// The largest head accepted; longer heads are answered with 413.
    static let maximumHeadSize = 64 * 1024
    /// The largest body accepted; larger bodies are answered with 413.
    static let maximumBodySize = 256 * 1024 * 1024

    let fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already consumed by earlier requests.
    private var consumed = 0
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    init(fd: Int32) {
        self.fd = fd
    }

    /// Reads the next request; nil when the peer closed or went silent between requests.
    ///
    /// Throws `HTTPParseError` for a request that cannot be understood, which the caller answers and then closes.
    mutating func readRequest() throws -> HTTPRequestMessage? {
        compact()
        guard let headEnd = try readUntilHeadEnd() else { return nil }
        let head = try HTTPParsing.parseHead(buffer[consumed..<headEnd])
        consumed = headEnd + 4
        if head.expectsContinue {
            // Only ask for the body when it is not already here, as a real server would.
            let pending = Int(head.header("content-length") ?? "") ?? 1
            if pending > 0, buffer.count - consumed < pending {
                _ = Sockets.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
        }
        let body: [UInt8]
        if head.isChunked {
            body = try readChunkedBody()
        } else if let lengthText = head.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else {
                throw HTTPParseError.malformed("bad Content-Length")
            }
            guard length <= Self.maximumBodySize else { throw HTTPParseError.tooLarge }
            guard try fill(toAtLeast: consumed + length) else {
                throw HTTPParseError.malformed("body cut short")
            }
            body = Array(buffer[consumed..<consumed + length])
            consumed += length
        } else if head.header("transfer-encoding") != nil {
            throw HTTPParseError.unsupportedTransferEncoding
        } else {
            body = []
        }
        return HTTPRequestMessage(head: head, body: body)
    }

    /// Writes raw bytes; false when the peer is gone.
    func write(_ bytes: [UInt8]) -> Bool {
        Sockets.sendAll(fd, bytes)
    }

    /// Drops consumed bytes so the buffer does not grow over a long keep-alive connection.
    private mutating func compact() {
        if consumed > 0 {
            buffer.removeFirst(consumed)
            consumed = 0
        }
    }

    /// Reads until the blank line that ends a head; returns the index of its `\r\n\r\n`, nil on a clean close.
    private mutating func readUntilHeadEnd() throws -> Int? {
        var scanFrom = consumed
        while true {
            if let end = findHeadEnd(from: scanFrom) { return end }
            // The terminator may straddle two reads: rescan the last three bytes next time.
            scanFrom = max(consumed, buffer.count - 3)
            if buffer.count - consumed > Self.maximumHeadSize { throw HTTPParseError.tooLarge }
            guard let count = Sockets.receive(fd, scratch: &scratch, into: &buffer), count > 0 else {
                if buffer.count > consumed { throw HTTPParseError.malformed("head cut short") }
                return nil
            }
        }
    }

    private func findHeadEnd(from start: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = max(start, consumed)
        let last = buffer.count - 4
        while index <= last {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Reads until the buffer holds at least `count` bytes; false when the stream ended first.
    private mutating func fill(toAtLeast count: Int) throws -> Bool {
        while buffer.count < count {
            guard let read = Sockets.receive(fd, scratch: &scratch, into: &buffer), read > 0 else { return false }
        }
        return true
    }

    /// Reads one CRLF-terminated line at the read position and consumes it.
    private mutating func readLine() throws -> String {
        var index = consumed
        while true {
            while index + 1 < buffer.count {
                if buffer[index] == 13, buffer[index + 1] == 10 {
                    let line = String(decoding: buffer[consumed..<index], as: UTF8.self)
                    consumed = index + 2
                    return line
                }
                index += 1
            }
            if buffer.count - consumed > Self.maximumHeadSize { throw HTTPParseError.tooLarge }
            guard try fill(toAtLeast: buffer.count + 1) else { throw HTTPParseError.malformed("chunk cut short") }
        }
    }

    /// Reads a body sent with chunked transfer coding, and any trailer lines after it.
    private mutating func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw HTTPParseError.malformed("bad chunk size")
            }
            if size == 0 { break }
            guard body.count + size <= Self.maximumBodySize else { throw HTTPParseError.tooLarge }
            guard try fill(toAtLeast: consumed + size + 2) else { throw HTTPParseError.malformed("chunk cut short") }
            body.append(contentsOf: buffer[consumed..<consumed + size])
            consumed += size + 2
        }
        // Trailer lines end with an empty line.
        while try !readLine().isEmpty {}
        return body
    }
}
