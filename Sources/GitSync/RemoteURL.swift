import Foundation

/// A parsed git remote URL.
///
/// Understands `https://`, `http://`, `ssh://` (also `git+ssh://`, `ssh+git://`), `git://` and the scp-like
/// `[user@]host:path` form. User names, passwords and tokens are dropped while parsing and never stored,
/// so they cannot reach a link or a message. Local paths and `file://` URLs have no web page and are rejected.
public struct RemoteURL: Sendable, Equatable {
    /// How git reaches the remote; the scp-like form counts as `.ssh`.
    public enum Scheme: String, Sendable {
        case https, http, ssh, git
    }

    /// The host, lowercased; an IPv6 address keeps its brackets, e.g. `[::1]`.
    public var host: String
    /// The port as written in the URL; only an http(s) port belongs in a web link.
    public var port: Int?
    /// The repository path without leading `/` and without trailing `.git` or `/`, e.g. `owner/repo`.
    public var path: String
    /// How git reaches the remote.
    public var scheme: Scheme

    /// The last path component, e.g. `linux` for `torvalds/linux`.
    public var repositoryName: String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Parses a remote URL.
    ///
    /// Returns nil for anything that is no remote URL with a host and a path: local paths (`/srv/x.git`, `../x`,
    /// `C:\x`), `file://` and other schemes, and malformed hosts or ports.
    public init?(_ string: String) {
        let text = string.trimmingCharacters(in: .whitespacesAndNewlines)
        // Backslashes only occur in Windows paths, never in remote URLs.
        guard !text.contains("\\") else { return nil }
        let parts =
            text.range(of: "://").map { Self.splitURL(text[$0.upperBound...], scheme: text[..<$0.lowerBound]) }
            ?? Self.splitSCPLike(text[...])
        guard let parts, Self.isValidHost(parts.host) else { return nil }
        // A one-letter host is a Windows drive letter as in `C:/x`.
        guard parts.host.count > 1 else { return nil }

        var port: Int?
        if let portText = parts.port, !portText.isEmpty {
            guard let number = Int(portText), (1...65_535).contains(number) else { return nil }
            port = number
        }

        var path = parts.path.drop { $0 == "/" }
        while path.hasSuffix("/") { path = path.dropLast() }
        if path.hasSuffix(".git") { path = path.dropLast(4) }
        while path.hasSuffix("/") { path = path.dropLast() }
        guard !path.isEmpty else { return nil }

        self.host = parts.host.lowercased()
        self.port = port
        self.path = String(path)
        self.scheme = parts.scheme
    }

    /// The raw pieces of a remote URL, before validation.
    private typealias Parts = (scheme: Scheme, host: Substring, port: Substring?, path: Substring)

    /// Splits `scheme://[userinfo@]host[:port]/path[?query][#fragment]`, dropping userinfo, query and fragment.
    private static func splitURL(_ rest: Substring, scheme schemeText: Substring) -> Parts? {
        let scheme: Scheme
        switch schemeText.lowercased() {
        case "https": scheme = .https
        case "http": scheme = .http
        case "ssh", "git+ssh", "ssh+git": scheme = .ssh
        case "git": scheme = .git
        default: return nil  // file:// and anything else has no web page
        }
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        } else if path.drop(while: { $0 == "/" }).prefix(while: { $0 != "/" }).contains("@") {
            // A `/`, `?` or `#` inside a password cut the authority short; refuse rather than leak the rest.
            return nil
        }
        path = path.prefix { $0 != "?" && $0 != "#" }
        guard let (host, port) = splitHostPort(authority) else { return nil }
        return (scheme, host, port, path)
    }

    /// Splits the scp-like `[user@]host:path`; a `/` before the first `:` makes it a local path, as in git.
    private static func splitSCPLike(_ text: Substring) -> Parts? {
        var rest = text
        if let at = text.prefix(while: { $0 != "/" }).firstIndex(of: "@") {
            rest = text[text.index(after: at)...]
        }
        if rest.hasPrefix("[") {
            // `[::1]:owner/repo`: the separating colon follows the closing bracket.
            guard let close = rest.firstIndex(of: "]") else { return nil }
            let afterClose = rest.index(after: close)
            guard rest[afterClose...].hasPrefix(":") else { return nil }
            return (.ssh, rest[...close], nil, rest[rest.index(after: afterClose)...])
        }
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let host = rest[..<colon]
        guard !host.contains("/") else { return nil }
        return (.ssh, host, nil, rest[rest.index(after: colon)...])
    }

    /// Splits `host[:port]` or `[ipv6][:port]`; nil when a bracket is unbalanced.
    private static func splitHostPort(_ authority: Substring) -> (Substring, Substring?)? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let afterClose = authority[authority.index(after: close)...]
            if afterClose.isEmpty { return (authority[...close], nil) }
            guard afterClose.hasPrefix(":") else { return nil }
            return (authority[...close], afterClose.dropFirst())
        }
        guard let colon = authority.firstIndex(of: ":") else { return (authority, nil) }
        return (authority[..<colon], authority[authority.index(after: colon)...])
    }

    /// Whether `host` is a DNS name, an IPv4 address or a bracketed IPv6 address.
    private static func isValidHost(_ host: Substring) -> Bool {
        if host.hasPrefix("[") {
            let inner = host.dropFirst().dropLast()
            return host.hasSuffix("]") && !inner.isEmpty && inner.allSatisfy { $0.isHexDigit || ":.".contains($0) }
        }
        return !host.isEmpty && host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "-._".contains($0) }
    }

    /// The scheme, host and port a browser uses for this remote, e.g. `https://git.example.com:8443`.
    ///
    /// The web scheme is https unless the remote itself is plain http. Only an http(s) port is kept, since
    /// ssh and git ports say nothing about the web server; default ports are left out.
    var webRoot: String {
        let webScheme = scheme == .http ? "http" : "https"
        let defaultPort = scheme == .http ? 80 : 443
        guard let port, scheme == .http || scheme == .https, port != defaultPort else {
            return "\(webScheme)://\(host)"
        }
        return "\(webScheme)://\(host):\(port)"
    }
}

/// Percent-encodes what may not appear in a URL path, keeping `/` and existing `%XX` escapes.
///
/// Remote paths are usually already encoded (Azure's `My%20Project`); a literal space or non-ASCII
/// character is encoded so the link stays valid. `{` and `}` are encoded too, so no placeholder can sneak in.
func percentEncodedPath(_ text: String) -> String {
    let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/".utf8)
    let hexDigits = Array("0123456789ABCDEF")
    let isHex: (UInt8) -> Bool = { Character(UnicodeScalar($0)).isHexDigit }
    let bytes = Array(text.utf8)
    var result = ""
    for (index, byte) in bytes.enumerated() {
        let isEscape =
            byte == UInt8(ascii: "%") && index + 2 < bytes.count
            && isHex(bytes[index + 1]) && isHex(bytes[index + 2])
        if allowed.contains(byte) || isEscape {
            result.append(Character(UnicodeScalar(byte)))
        } else {
            result += "%\(hexDigits[Int(byte >> 4)])\(hexDigits[Int(byte & 0x0F)])"
        }
    }
    return result
}
