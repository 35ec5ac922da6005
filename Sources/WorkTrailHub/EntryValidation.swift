import Foundation

/// What the client checks and adjusts in an entry before it leaves.
///
/// The protocol does not say how long `summary` may be, so the limit is a setting; its default
/// keeps what the git integration sends today unchanged.
public struct EntryRules: Sendable, Equatable {
    /// The longest summary sent, in characters (grapheme clusters); longer ones are cut.
    public var summaryCharacterLimit: Int
    /// The longest summary sent, in UTF-8 bytes; nil for no byte limit. For a server that
    /// counts bytes rather than characters.
    public var summaryByteLimit: Int?

    public init(summaryCharacterLimit: Int = 1000, summaryByteLimit: Int? = nil) {
        self.summaryCharacterLimit = summaryCharacterLimit
        self.summaryByteLimit = summaryByteLimit
    }

    /// The times the client accepts: from 1970 up to the largest integer that a JSON reader
    /// storing numbers as doubles keeps exact (2^53 - 1).
    public static let validTimes: ClosedRange<Int64> = 0...9_007_199_254_740_991
}

/// Why the client refused to send an entry.
public enum EntryProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// `time` or `endtime` is outside `EntryRules.validTimes`.
    case timeOutOfRange(field: String, value: Int64)
    /// `endtime` is before `time`.
    case endBeforeStart(time: Int64, endTime: Int64)
    /// `summary` is empty once surrounding white space is removed.
    case emptySummary
    /// `link` cannot be read as a URL at all (it is not repeated: it may hold a password).
    case linkNotAURL
    /// `link` is a URL, but not an absolute `http(s)` one with a host.
    case linkNotHTTP(String)
    /// `link` carries a user name or password.
    case linkHasUserInfo
    /// `employee_id` is not a positive number.
    case invalidEmployeeID(Int)

    public var description: String {
        switch self {
        case .timeOutOfRange(let field, let value):
            "\(field) \(value) is not a time the Hub can store (seconds since 1970, not negative)"
        case .endBeforeStart(let time, let endTime):
            "endtime \(endTime) is before time \(time)"
        case .emptySummary:
            "summary is empty"
        case .linkNotAURL:
            "link is not a valid URL"
        case .linkNotHTTP(let link):
            "link '\(link)' is not an http or https URL"
        // The link itself is not repeated: its user information may be a password.
        case .linkHasUserInfo:
            "link carries a user name or password"
        case .invalidEmployeeID(let id):
            "employee_id \(id) is not a positive number"
        }
    }
}

extension HubEntry {
    /// The entry as it will be sent: the summary trimmed and cut to the rules' limits.
    ///
    /// - Parameter rules: the limits to apply.
    /// - Returns: a copy with the summary adjusted; every other field unchanged.
    /// - Throws: `EntryProblem` for an entry the Hub must not get.
    public func validated(by rules: EntryRules = EntryRules()) throws(EntryProblem) -> HubEntry {
        guard EntryRules.validTimes.contains(time) else { throw .timeOutOfRange(field: "time", value: time) }
        if let endTime {
            guard EntryRules.validTimes.contains(endTime) else {
                throw .timeOutOfRange(field: "endtime", value: endTime)
            }
            guard endTime >= time else { throw .endBeforeStart(time: time, endTime: endTime) }
        }
        if let employeeID, employeeID <= 0 { throw .invalidEmployeeID(employeeID) }
        try Self.checkLink(link)

        var copy = self
        copy.summary = Self.cut(Self.trimmed(summary), rules: rules)
        guard !copy.summary.isEmpty else { throw .emptySummary }
        return copy
    }

    private static func checkLink(_ link: String) throws(EntryProblem) {
        guard let components = URLComponents(string: link) else { throw .linkNotAURL }
        // Checked before the scheme, so that no message repeats a link with a password in it.
        guard components.user == nil, components.password == nil else { throw .linkHasUserInfo }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw .linkNotHTTP(link)
        }
    }

    /// `text` without white space at either end; cheap when there is none, as is usual.
    static func trimmed(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return text }
        let edges = CharacterSet.whitespacesAndNewlines
        guard edges.contains(first) || edges.contains(last) else { return text }
        return text.trimmingCharacters(in: edges)
    }

    /// Cuts `text` to the rules' limits at a character boundary, so that neither a grapheme
    /// cluster nor a UTF-8 sequence is split.
    static func cut(_ text: String, rules: EntryRules) -> String {
        let characterLimit = max(0, rules.summaryCharacterLimit)
        // A text of no more bytes than the limit has no more characters either; counting
        // characters walks the whole text, so it is only done when it can matter.
        let mayBeLong = text.utf8.count > characterLimit && text.count > characterLimit
        var result = mayBeLong ? String(text.prefix(characterLimit)) : text
        if let byteLimit = rules.summaryByteLimit, result.utf8.count > byteLimit {
            var bytes = 0
            var end = result.startIndex
            for character in result {
                let size = character.utf8.count
                guard bytes + size <= byteLimit else { break }
                bytes += size
                end = result.index(after: end)
            }
            result = String(result[..<end])
        }
        // Cutting may leave white space at the end.
        if mayBeLong || result.utf8.count != text.utf8.count {
            while let last = result.last, last.isWhitespace { result.removeLast() }
        }
        return result
    }
}
