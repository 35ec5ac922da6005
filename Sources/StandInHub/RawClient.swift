import Foundation

extension StandInHub {
    /// A response as read by `RawClient`.
    public struct RawResponse: Sendable {
        public var status: Int
        /// Header names are lowercased.
        public var headers: [String: String]
        public var body: Data

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as JSON, nil when it is not JSON.
        public var json: JSONValue? { try? JSONValue.parse(body) }
    }

    /// A minimal HTTP/1.1 client over one socket, for tests that must control the connection exactly
    /// (keep-alive reuse, a dropped connection, malformed requests).
    public final class RawClient {
        private let fd: Int32
        private var buffer: [UInt8] = []
        private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        private var isClosed = false

        /// Connects to 127.0.0.1 at `port`; reads give up after `timeout` seconds without data.
        public init(port: Int, timeout: Double = 5) throws {
            fd = try Sockets.connect(port: port)
            Sockets.setReceiveTimeout(fd, seconds: timeout)
        }

        deinit {
            close()
        }

        /// Sends text as it is.
        public func send(_ text: String) throws {
            guard Sockets.sendAll(fd, Array(text.utf8)) else { throw SocketError(call: "send", code: errno) }
        }

        /// Sends a form-encoded POST with a `Content-Length` body; `headers` are added as given.
        public func post(
            _ target: String, fields: [(String, String)] = [], headers: [String: String] = [:], close: Bool = false
        ) throws {
            let body = StandInHub.formBody(fields)
            var head = "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                head += "\(name): \(value)\r\n"
            }
            if close { head += "Connection: close\r\n" }
            try send(head + "\r\n" + body)
        }

        /// Reads one response; nil when the server closed the connection before sending anything.
        ///
        /// Skips `100 Continue`. A body without `Content-Length` is read until the server closes.
        public func readResponse() throws -> RawResponse? {
            while true {
                guard let headEnd = try readHeadEnd() else { return nil }
                var lines = HTTPParsing.splitLines(buffer[..<headEnd])
                buffer.removeFirst(headEnd + 4)
                let statusLine = lines.removeFirst().split(separator: UInt8(ascii: " "))
                guard statusLine.count >= 2, let status = Int(String(decoding: statusLine[1], as: UTF8.self)) else {
                    throw SocketError(call: "read status line", code: 0)
                }
                let headers = try HTTPParsing.parseHeaderLines(lines)
                if status == 100 { continue }
                let body: [UInt8]
                if let length = headers["content-length"].flatMap({ Int($0) }) {
                    while buffer.count < length {
                        guard try receive() else { throw SocketError(call: "read body", code: 0) }
                    }
                    body = Array(buffer[..<length])
                    buffer.removeFirst(length)
                } else {
                    while try receive() {}
                    body = buffer
                    buffer.removeAll()
                }
                return RawResponse(status: status, headers: headers, body: Data(body))
            }
        }

        /// Whether the server closed the connection: a read finds the end of the stream.
        public func serverClosed() -> Bool {
            guard buffer.isEmpty else { return false }
            return (try? receive()) == false
        }

        /// Closes the socket.
        public func close() {
            guard !isClosed else { return }
            isClosed = true
            Sockets.closeDescriptor(fd)
        }

        private func readHeadEnd() throws -> Int? {
            while true {
                if buffer.count >= 4 {
                    for index in 0...(buffer.count - 4)
                    where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13
                        && buffer[index + 3] == 10 {
                        return index
                    }
                }
                guard try receive() else {
                    if buffer.isEmpty { return nil }
                    throw SocketError(call: "read head", code: 0)
                }
            }
        }

        /// Reads more bytes; false at the end of the stream. Throws on a timeout or a reset.
        private func receive() throws -> Bool {
            guard let count = Sockets.receive(fd, scratch: &scratch, into: &buffer) else {
                let code = errno
                // A reset connection ends the stream too, as far as a test is concerned.
                if code == ECONNRESET { return false }
                throw SocketError(call: "recv", code: code)
            }
            return count > 0
        }
    }

    /// Encodes fields as an `application/x-www-form-urlencoded` body (spaces as `+`).
    public static func formBody(_ fields: [(String, String)]) -> String {
        HTTPParsing.formEncode(fields)
    }
}
