import Foundation

/// The result of a finished process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// Everything the process printed, both streams.
    public var allOutput: String { standardOutput + standardError }
}

/// Runs programs for tests, with their output captured.
public enum Shell {
    /// Runs `executable` with `arguments`, waiting for it to end.
    ///
    /// - Parameters:
    ///   - environment: variables added to (or replacing) the test process's own.
    ///   - input: bytes written to the process's standard input, which is then closed.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        in directory: String? = nil,
        environment: [String: String] = [:],
        input: Data? = nil
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }

        // Output goes to files rather than pipes, so a chatty process cannot fill a pipe and stall.
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        let outputHandle = try FileHandle(forWritingTo: outputURL)
        let errorHandle = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        let inputPipe = Pipe()
        process.standardInput = inputPipe

        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try inputPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        try outputHandle.close()
        try errorHandle.close()
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
        )
    }

    /// The full path of a program on `PATH`.
    public static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A directory that is removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    // The path never changes after init; @unchecked because deinit removes the directory.
    public let path: String

    public init(_ label: String = "worktrail") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        // Resolve symbolic links (macOS's /var -> /private/var), so paths compare equal to git's.
        path = base.resolvingSymlinksInPath().path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func child(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
