/// The parts of a commit that a history scan needs, copied out of the object database.
public struct Commit: Sendable {
    public let id: ObjectID
    /// The first parent inline and any further ones (merges) in an array, so that an ordinary
    /// commit costs no allocation for its parents.
    private let firstParent: ObjectID?
    private let otherParents: [ObjectID]
    /// The author's name and e-mail as recorded, before any mailmap.
    public let author: Mailmap.Identity
    /// Author time in seconds since 1970 UTC, as `git log --format=%at` prints it.
    public let authorTime: Int64
    /// The subject as `git log --format=%s` prints it: the first paragraph of the message,
    /// lines joined by one space, decoded to UTF-8 from the commit's declared encoding.
    public let subject: String

    init(
        id: ObjectID,
        firstParent: ObjectID?,
        otherParents: [ObjectID],
        author: Mailmap.Identity,
        authorTime: Int64,
        subject: String
    ) {
        self.id = id
        self.firstParent = firstParent
        self.otherParents = otherParents
        self.author = author
        self.authorTime = authorTime
        self.subject = subject
    }

    public var parents: [ObjectID] {
        guard let firstParent else { return [] }
        return [firstParent] + otherParents
    }

    public var isMerge: Bool { !otherParents.isEmpty }
}

/// Parses a raw commit object the way git's own pretty-printer reads it.
///
/// The object looks like this (header lines, a blank line, then the message):
///
///     tree 9bedf67800b2923982bdf60c89c57ce6bf2d7bdb
///     parent 2c5d7e2b8d9cba18d2b9a1e53e7b0fdd95b5a2b1
///     author A U Thor <author@example.com> 1700000000 +0100
///     committer C O Mitter <committer@example.com> 1700000000 +0100
///     encoding ISO-8859-1
///     gpgsig -----BEGIN PGP SIGNATURE-----
///      (continuation lines start with a space)
///
///     Subject line
///     continues here
///
///     Body.
enum CommitParser {
    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")

    static func parse(
        id: ObjectID,
        data: UnsafeRawBufferPointer,
        identities: IdentityTable? = nil
    ) throws(GitError) -> Commit {
        var firstParent: ObjectID?
        var otherParents: [ObjectID] = []
        let parsed = fields(of: data) { hex in
            guard let parent = ObjectID(hexBytes: hex) else { return false }
            if firstParent == nil {
                firstParent = parent
            } else {
                otherParents.append(parent)
            }
            return true
        }
        guard let parsed else {
            throw GitError(code: -1, message: "malformed parent line", operation: "parse commit \(id)")
        }
        var author = Mailmap.Identity(name: "", email: "")
        var authorTime: Int64 = 0
        if let line = parsed.author {
            (author, authorTime) = parseSignature(line, identities: identities)
        }

        let subject: String
        if let encoding = parsed.encoding, !TextDecoding.isUTF8(encoding) {
            let name = String(decoding: encoding, as: UTF8.self)
            subject = TextDecoding.decode(Self.subject(of: parsed.message), declaredEncoding: name)
        } else {
            subject = subjectString(of: parsed.message)
        }
        return Commit(
            id: id,
            firstParent: firstParent,
            otherParents: otherParents,
            author: author,
            authorTime: authorTime,
            subject: subject
        )
    }

    /// The parts of a commit object that a scan reads, still as raw bytes.
    struct Fields {
        /// The last `author` line, after `author `.
        var author: UnsafeRawBufferPointer?
        /// The `encoding` header's value, if there is one.
        var encoding: UnsafeRawBufferPointer?
        /// Everything after the blank line that ends the header.
        var message: UnsafeRawBufferPointer
    }

    /// Splits a commit object into its header fields and message, handing each parent's forty
    /// hexadecimal digits to `parent` in order.
    ///
    /// - Returns: nil when `parent` refuses a parent line (returns false).
    static func fields(of data: UnsafeRawBufferPointer, parent: (UnsafeRawBufferPointer) -> Bool) -> Fields? {
        var author: UnsafeRawBufferPointer?
        var encoding: UnsafeRawBufferPointer?
        var position = 0
        let end = data.count

        // Header: one field per line until the first empty line.
        while position < end, data[position] != newline {
            let lineEnd = index(of: newline, in: data, from: position) ?? end
            let line = UnsafeRawBufferPointer(rebasing: data[position..<lineEnd])
            if hasPrefix(line, "parent ") {
                guard parent(UnsafeRawBufferPointer(rebasing: line[7...])) else { return nil }
            } else if hasPrefix(line, "author ") {
                author = UnsafeRawBufferPointer(rebasing: line[7...])
            } else if hasPrefix(line, "encoding ") {
                encoding = UnsafeRawBufferPointer(rebasing: line[9...])
            }
            position = lineEnd + 1
        }
        position += 1
        let message = UnsafeRawBufferPointer(rebasing: data[min(position, end)..<end])
        return Fields(author: author, encoding: encoding, message: message)
    }

    /// Splits `Name <email> 1700000000 +0100` as git's `split_ident_line` does: the e-mail runs
    /// from the first `<` to the next `>`, the time follows the last `>`.
    ///
    /// - Parameter identities: where name and e-mail strings are shared between commits; the
    ///   same few authors wrote most commits, so this saves two strings per commit.
    static func parseSignature(
        _ line: UnsafeRawBufferPointer,
        identities: IdentityTable? = nil
    ) -> (Mailmap.Identity, Int64) {
        let parts = signatureParts(line)
        let identityBytes = UnsafeRawBufferPointer(rebasing: line[0..<parts.identityEnd])
        let identity =
            identities?.identity(for: identityBytes) { Self.identity(in: line, parts) }
            ?? Self.identity(in: line, parts)
        return (identity, parts.time)
    }

    /// Where a signature line's identity ends and where its e-mail is, with its time.
    struct SignatureParts {
        /// Bytes `0..<identityEnd` are `Name <email>`, the whole line when it has no `<`.
        var identityEnd: Int
        var open: Int?
        var close: Int
        var time: Int64
    }

    static func signatureParts(_ line: UnsafeRawBufferPointer) -> SignatureParts {
        guard let open = index(of: UInt8(ascii: "<"), in: line, from: 0) else {
            return SignatureParts(identityEnd: line.count, open: nil, close: line.count, time: 0)
        }
        let close = index(of: UInt8(ascii: ">"), in: line, from: open + 1) ?? line.count
        let identityEnd = min(close + 1, line.count)

        var lastClose = line.count - 1
        while lastClose > open, line[lastClose] != UInt8(ascii: ">") { lastClose -= 1 }
        var cursor = lastClose + 1
        while cursor < line.count, isSpace(line[cursor]) { cursor += 1 }
        var time: Int64 = 0
        while cursor < line.count, line[cursor] >= UInt8(ascii: "0"), line[cursor] <= UInt8(ascii: "9") {
            let (product, overflowMultiply) = time.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = product.addingReportingOverflow(Int64(line[cursor] - UInt8(ascii: "0")))
            if overflowMultiply || overflowAdd {
                time = 0
                break
            }
            time = sum
            cursor += 1
        }
        return SignatureParts(identityEnd: identityEnd, open: open, close: close, time: time)
    }

    /// The name and e-mail of a signature line split by `signatureParts`.
    static func identity(in line: UnsafeRawBufferPointer, _ parts: SignatureParts) -> Mailmap.Identity {
        guard let open = parts.open else {
            return Mailmap.Identity(name: string(line, trimming: true), email: "")
        }
        return splitIdentity(line, open: open, close: parts.close)
    }

    /// Appends the subject (`subject(of:)`) to `out` as UTF-8, decoded from `encoding` when the
    /// commit declares one other than UTF-8.
    static func appendSubject(
        of message: UnsafeRawBufferPointer,
        encoding: UnsafeRawBufferPointer?,
        to out: inout [UInt8]
    ) {
        if let encoding, !TextDecoding.isUTF8(encoding) {
            let name = String(decoding: encoding, as: UTF8.self)
            out.append(contentsOf: TextDecoding.decode(subject(of: message), declaredEncoding: name).utf8)
            return
        }
        forEachSubjectLine(of: message) { line, first in
            if !first { out.append(space) }
            out.append(contentsOf: line)
        }
    }

    private static func splitIdentity(_ line: UnsafeRawBufferPointer, open: Int, close: Int) -> Mailmap.Identity {
        Mailmap.Identity(
            name: string(UnsafeRawBufferPointer(rebasing: line[0..<open]), trimming: true),
            email: string(UnsafeRawBufferPointer(rebasing: line[(open + 1)..<close]), trimming: false)
        )
    }

    /// `subject(of:)` as a UTF-8 string, built in place without an intermediate array.
    static func subjectString(of message: UnsafeRawBufferPointer) -> String {
        var length = 0
        forEachSubjectLine(of: message) { line, first in length += line.count + (first ? 0 : 1) }
        guard length > 0 else { return "" }
        return String(unsafeUninitializedCapacity: length) { out in
            var written = 0
            forEachSubjectLine(of: message) { line, first in
                if !first {
                    out[written] = space
                    written += 1
                }
                if let base = line.baseAddress, let target = out.baseAddress {
                    (target + written).update(from: base.assumingMemoryBound(to: UInt8.self), count: line.count)
                }
                written += line.count
            }
            return written
        }
    }

    /// Calls `body` with each line of the first paragraph, trailing white space removed, after
    /// any leading blank lines (git's `format_subject`); `first` tells the first line.
    private static func forEachSubjectLine(
        of message: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer, _ first: Bool) -> Void
    ) {
        var position = 0
        var started = false
        while position < message.count {
            let lineEnd = index(of: newline, in: message, from: position) ?? message.count
            var trimmedEnd = lineEnd
            while trimmedEnd > position, isSpace(message[trimmedEnd - 1]) { trimmedEnd -= 1 }
            if trimmedEnd == position {
                if started { return }
            } else {
                body(UnsafeRawBufferPointer(rebasing: message[position..<trimmedEnd]), !started)
                started = true
            }
            position = lineEnd + 1
        }
    }

    /// The first paragraph of a message, its lines stripped of trailing white space and joined
    /// with single spaces, after any leading blank lines (git's `format_subject`).
    static func subject(of message: UnsafeRawBufferPointer) -> [UInt8] {
        var result: [UInt8] = []
        forEachSubjectLine(of: message) { line, first in
            if !first { result.append(space) }
            result.append(contentsOf: line)
        }
        return result
    }

    // git's isspace: space, tab, newline and carriage return.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == space || byte == UInt8(ascii: "\t") || byte == newline || byte == UInt8(ascii: "\r")
    }

    private static func index(of byte: UInt8, in data: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < data.count, let base = data.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), data.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard line.count >= count, let base = line.baseAddress else { return false }
        return memcmp(base, prefix.utf8Start, count) == 0
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, trimming: Bool) -> String {
        var end = bytes.count
        if trimming {
            while end > 0, isSpace(bytes[end - 1]) { end -= 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Name and e-mail strings shared between the commits of one scan, found by their raw bytes
/// (`Name <email>` as the signature line holds them).
///
/// Not Sendable: one table belongs to one scan.
final class IdentityTable {
    private var buckets: [UInt64: [(bytes: [UInt8], identity: Mailmap.Identity)]] = [:]

    /// The identity whose raw bytes are `bytes`, made by `make` the first time.
    func identity(for bytes: UnsafeRawBufferPointer, make: () -> Mailmap.Identity) -> Mailmap.Identity {
        // FNV-1a: a few dozen bytes, so a simple hash is fastest.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if let bucket = buckets[hash] {
            for entry in bucket where entry.bytes.elementsEqual(bytes) { return entry.identity }
        }
        let identity = make()
        buckets[hash, default: []].append((Array(bytes), identity))
        return identity
    }
}
