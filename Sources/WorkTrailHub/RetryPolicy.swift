import Foundation

/// When and how often the client tries a failed request again.
///
/// Only transient failures are retried: a connection that could not be made or broke, a
/// timeout, HTTP 429 and 5xx. The wait before retry *n* (counting from 1) is drawn at random
/// between half and all of `min(maximumDelay, baseDelay * 2^(n-1))` ("equal jitter"), or
/// the Hub's `Retry-After` when that is longer. A retry that could not start within
/// `maximumTotalTime` of the first attempt is not made.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first one included; 1 turns retries off.
    public var maximumAttempts: Int
    /// The wait before the first retry, before jitter.
    public var baseDelay: TimeInterval
    /// The longest wait between two attempts, before `Retry-After` is considered.
    public var maximumDelay: TimeInterval
    /// The longest time from the first attempt to the start of the last retry.
    public var maximumTotalTime: TimeInterval

    public init(
        maximumAttempts: Int = 4,
        baseDelay: TimeInterval = 0.5,
        maximumDelay: TimeInterval = 30,
        maximumTotalTime: TimeInterval = 120
    ) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maximumDelay = max(0, maximumDelay)
        self.maximumTotalTime = max(0, maximumTotalTime)
    }

    /// No retries: every failure is reported at once.
    public static let never = RetryPolicy(maximumAttempts: 1)

    /// The wait before the retry that follows attempt `attempt` (counting from 1).
    ///
    /// - Parameters:
    ///   - attempt: the attempt that just failed.
    ///   - retryAfter: the Hub's `Retry-After`, in seconds, if it sent one.
    ///   - random: a number in `0...1` for the jitter.
    /// - Returns: the wait in seconds; never less than `retryAfter`.
    public func delay(afterAttempt attempt: Int, retryAfter: TimeInterval?, random: Double) -> TimeInterval {
        let exponent = Double(min(max(0, attempt - 1), 30))
        let ceiling = min(maximumDelay, baseDelay * pow(2, exponent))
        let backoff = ceiling / 2 + ceiling / 2 * min(1, max(0, random))
        return max(backoff, retryAfter ?? 0)
    }

    /// Reads a `Retry-After` header: a number of seconds, or an HTTP date.
    ///
    /// - Parameters:
    ///   - value: the header's value, such as `120` or `Wed, 21 Oct 2015 07:28:00 GMT`.
    ///   - now: the time the answer arrived, for a date.
    /// - Returns: seconds to wait, nil when the header is missing or not understood.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> TimeInterval? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
