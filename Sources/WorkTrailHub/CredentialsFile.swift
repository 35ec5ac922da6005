import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The credentials a file holds; any of them may be missing.
///
/// Its descriptions never show the secrets.
public struct StoredCredentials: Sendable, Equatable, CustomStringConvertible {
    public var appKey: String?
    public var secretAPIKey: String?
    public var authToken: String?

    public init(appKey: String? = nil, secretAPIKey: String? = nil, authToken: String? = nil) {
        self.appKey = appKey
        self.secretAPIKey = secretAPIKey
        self.authToken = authToken
    }

    public var description: String {
        func shown(_ value: String?) -> String { value == nil ? "none" : "<redacted>" }
        return "StoredCredentials(appKey: \(shown(appKey)), secretAPIKey: \(shown(secretAPIKey)),"
            + " authToken: \(shown(authToken)))"
    }
}

/// Why the credentials file could not be used. Messages name the file, never a value from it.
public struct CredentialsFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A private file of Hub credentials, an alternative to environment variables.
///
/// The format is one `key = value` per line; blank lines and lines starting with `#` are
/// ignored, and the keys are `app_key`, `secret_api_key` and `auth_token`:
///
/// ```
/// # WorkTrail Hub credentials; keep this file private (chmod 600)
/// app_key = 3f1c...
/// secret_api_key = 9b2e...
/// auth_token = 51d0...
/// ```
///
/// A file that other users could read, or that belongs to another user, is refused. Writing
/// replaces the file atomically, with mode 0600 in a directory of mode 0700, so a reader never
/// sees half a file and no other user ever can.
public struct CredentialsFile: Sendable {
    /// The keys of the format, in the order they are written.
    static let keys = ["app_key", "secret_api_key", "auth_token"]

    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `$XDG_CONFIG_HOME/<application>/credentials`, by default `~/.config/<application>/credentials`.
    ///
    /// - Parameters:
    ///   - environment: the variables to read `XDG_CONFIG_HOME` and `HOME` from.
    ///   - application: the directory name under the configuration directory.
    public static func defaultPath(environment: [String: String], application: String = "worktrail-git") -> String {
        let configured = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let base =
            configured
            ?? ((environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) as NSString)
            .appendingPathComponent(".config")
        return ((base as NSString).appendingPathComponent(application) as NSString)
            .appendingPathComponent("credentials")
    }

    // MARK: - Reading

    /// Reads the file.
    ///
    /// - Returns: what the file holds; nil when there is no file.
    /// - Throws: `CredentialsFileError` for a file others can read, a file of another user, or a
    ///   line that is not `key = value` with a known key.
    public func read() throws(CredentialsFileError) -> StoredCredentials? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw CredentialsFileError("cannot read the credentials file \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw CredentialsFileError("the credentials file \(path) is not a regular file")
        }
        guard status.st_uid == geteuid() else {
            throw CredentialsFileError("the credentials file \(path) belongs to another user; refusing to use it")
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw CredentialsFileError(
                "the credentials file \(path) can be read by other users (mode \(String(mode, radix: 8)));"
                    + " make it private with: chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialsFileError("cannot read the credentials file \(path)")
        }
        return try Self.parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses the file's text; errors name the line, not its content, which may be a secret.
    static func parse(_ text: String, path: String) throws(CredentialsFileError) -> StoredCredentials {
        var stored = StoredCredentials()
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw CredentialsFileError("\(path), line \(number + 1): expected 'key = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let kept = value.isEmpty ? nil : value
            switch key {
            case "app_key": stored.appKey = kept
            case "secret_api_key": stored.secretAPIKey = kept
            case "auth_token": stored.authToken = kept
            default:
                throw CredentialsFileError(
                    "\(path), line \(number + 1): unknown key '\(key)'; the keys are \(keys.joined(separator: ", "))"
                )
            }
        }
        return stored
    }

    // MARK: - Writing

    /// Replaces the file with `credentials`, atomically and readable by the owner only.
    ///
    /// - Parameter credentials: what to store; missing values are left out.
    /// - Throws: `CredentialsFileError` when the directory or file cannot be written; the old
    ///   file, if any, is then unchanged.
    public func write(_ credentials: StoredCredentials) throws(CredentialsFileError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw CredentialsFileError("cannot create the directory \(directory): \(error.localizedDescription)")
        }
        // The directory may have existed with looser permissions; it holds nothing but ours.
        _ = chmod(directory, 0o700)

        var text = "# WorkTrail Hub credentials, written by worktrail-git auth; keep this file private (chmod 600)\n"
        for (key, value) in zip(Self.keys, [credentials.appKey, credentials.secretAPIKey, credentials.authToken]) {
            if let value { text += "\(key) = \(value)\n" }
        }
        try replaceAtomically(with: Array(text.utf8))
    }

    private func replaceAtomically(with bytes: [UInt8]) throws(CredentialsFileError) {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CredentialsFileError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        var failure: Int32 = 0
        // The mode passed to open is narrowed by the umask, never widened; set it exactly.
        if fchmod(descriptor, 0o600) != 0 { failure = errno }
        while failure == 0, written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = errno
            } else {
                written += count
            }
        }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == 0 { failure = errno }
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw CredentialsFileError(
                "cannot write the credentials file \(path): \(String(cString: strerror(failure)))"
            )
        }
    }
}

/// `write(2)`; named apart from the method above, which would shadow it.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, buffer, count)
    #else
        Darwin.write(descriptor, buffer, count)
    #endif
}
