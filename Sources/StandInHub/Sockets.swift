#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from a socket call, with the call's name and `errno`.
public struct SocketError: Error, CustomStringConvertible {
    /// The system call that failed, such as `bind`.
    public let call: String
    /// The value of `errno` right after the failure.
    public let code: Int32

    public var description: String {
        "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Thin wrappers over the POSIX socket calls, hiding the differences between Glibc and Darwin.
enum Sockets {
    /// Opens a TCP socket listening on 127.0.0.1 at `port` (0 for an ephemeral port); returns it and its port.
    static func listen(port: Int, backlog: Int32 = 128) throws -> (fd: Int32, port: Int) {
        try listen(bound: bind(port: port), backlog: backlog)
    }

    /// Opens a TCP socket bound to 127.0.0.1 at `port` that does not listen yet: connections to
    /// the port are refused, and no other socket can take the port meanwhile.
    static func bind(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        // Close-on-exec from the start, so a child process spawned by a test never inherits the listener.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(call: "socket", code: errno) }
        #if !canImport(Glibc)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #endif
        // Allows binding the same port again right after a stop, while old connections sit in TIME_WAIT.
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))

        var address = loopbackAddress(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemBind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            _ = close(fd)
            throw SocketError(call: "bind", code: code)
        }
        return fd
    }

    /// Starts listening on a socket from `bind(port:)`; returns it and its port.
    static func listen(bound fd: Int32, backlog: Int32 = 128) throws -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
        let listened = Glibc.listen(fd, backlog)
        #else
        let listened = Darwin.listen(fd, backlog)
        #endif
        guard listened == 0 else {
            let code = errno
            _ = close(fd)
            throw SocketError(call: "listen", code: code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            _ = close(fd)
            throw SocketError(call: "getsockname", code: code)
        }
        return (fd, Int(UInt16(bigEndian: actual.sin_port)))
    }

    /// Connects a TCP socket to 127.0.0.1 at `port`; used by `StandInHub.RawClient`.
    static func connect(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(call: "socket", code: errno) }
        configureStream(fd)
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                Darwin.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        guard connected == 0 else {
            let code = errno
            _ = close(fd)
            throw SocketError(call: "connect", code: code)
        }
        return fd
    }

    /// Accepts one connection; returns nil when the call failed (the caller decides whether to go on).
    static func accept(_ listener: Int32) -> Int32? {
        #if canImport(Glibc)
        let fd = Glibc.accept(listener, nil, nil)
        #else
        let fd = Darwin.accept(listener, nil, nil)
        #endif
        // accept4 and its atomic SOCK_CLOEXEC are not visible from Swift's Glibc module; set the flag right after.
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        guard fd >= 0 else { return nil }
        configureStream(fd)
        return fd
    }

    /// Options for a connected socket: no Nagle delay for small answers, and no SIGPIPE on Darwin.
    static func configureStream(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Makes `recv` on `fd` give up after `seconds` without data; 0 means wait forever.
    static func setReceiveTimeout(_ fd: Int32, seconds: Double) {
        let whole = Int(seconds)
        let micros = Int((seconds - Double(whole)) * 1_000_000)
        #if canImport(Glibc)
        var value = timeval(tv_sec: whole, tv_usec: micros)
        #else
        var value = timeval(tv_sec: whole, tv_usec: Int32(micros))
        #endif
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes all of `bytes`; false when the peer went away or the socket failed.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        #if canImport(Glibc)
        // MSG_NOSIGNAL: a write to a closed peer returns EPIPE instead of killing the process with SIGPIPE.
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var offset = 0
        return bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            while offset < raw.count {
                let sent = send(fd, base + offset, raw.count - offset, flags)
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    /// Reads what is available (up to the size of `scratch`) and appends it to `buffer`.
    ///
    /// Returns the count read, 0 at end of stream, nil on error or receive timeout.
    static func receive(_ fd: Int32, scratch: inout [UInt8], into buffer: inout [UInt8]) -> Int? {
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            buffer.append(contentsOf: scratch[0..<count])
            return count
        }
    }

    /// Waits until `fd` is readable or `wake` is readable; returns true when `fd` is ready.
    static func waitReadable(_ fd: Int32, orWake wake: Int32) -> Bool {
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let result = poll(&fds, nfds_t(fds.count), -1)
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            if fds[1].revents != 0 { return false }
            return fds[0].revents != 0
        }
    }

    /// Makes a pipe whose read end wakes a thread blocked in `waitReadable`.
    static func makeWakePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        let made = pipe(&ends)
        if made == 0 {
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        }
        guard made == 0 else { throw SocketError(call: "pipe", code: errno) }
        return (ends[0], ends[1])
    }

    /// Writes one byte to a wake pipe.
    static func wake(_ writeEnd: Int32) {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Ends both directions of a connection, waking any thread blocked reading it; the fd stays open.
    static func shutdownBoth(_ fd: Int32) {
        #if canImport(Glibc)
        _ = shutdown(fd, Int32(SHUT_RDWR))
        #else
        _ = shutdown(fd, SHUT_RDWR)
        #endif
    }

    /// Closes a descriptor.
    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }

    private static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }
}

/// `bind(2)`, named apart from `Sockets.bind(port:)`.
private func systemBind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    bind(fd, address, length)
}
