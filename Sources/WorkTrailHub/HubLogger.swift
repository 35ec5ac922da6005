/// A small logging facade for library code, with swift-log's seven level names.
///
/// The Hub client logs at `trace` (every request) and `debug` (every retry) only, in short
/// lowercase messages with metadata under the `hub.` key prefix; the program that owns the
/// client decides what is shown. The default, `HubLogger.disabled`, drops everything.
///
/// No message or metadata value ever holds a credential.
public struct HubLogger: Sendable {
    /// How much a message matters, from the most detailed to the most severe.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }
    }

    /// Structured values that go with a message, such as `["hub.attempt": "2"]`.
    public typealias Metadata = [String: String]

    /// Receives one message that passed the level filter.
    public typealias Handler = @Sendable (_ level: Level, _ message: String, _ metadata: Metadata) -> Void

    /// Messages below this level are dropped before they are built.
    public let minimumLevel: Level
    private let handler: Handler?

    /// Creates a logger that hands messages at or above `minimumLevel` to `handler`.
    ///
    /// - Parameters:
    ///   - minimumLevel: the least severe level passed on.
    ///   - handler: called once per message, from whatever task logged it.
    public init(minimumLevel: Level = .trace, handler: @escaping Handler) {
        self.minimumLevel = minimumLevel
        self.handler = handler
    }

    private init() {
        minimumLevel = .critical
        handler = nil
    }

    /// A logger that drops every message.
    public static let disabled = HubLogger()

    /// Logs `message` at `level`; the message and metadata are only built when the level passes.
    public func log(
        _ level: Level,
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> Metadata = [:]
    ) {
        guard let handler, level >= minimumLevel else { return }
        handler(level, message(), metadata())
    }

    public func trace(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(.trace, message(), metadata: metadata())
    }

    public func debug(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(.debug, message(), metadata: metadata())
    }
}
