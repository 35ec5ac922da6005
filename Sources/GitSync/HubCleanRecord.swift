import Foundation
import WorkTrailHub

/// Remembers, per Hub and app, when the Hub was last cleaned from this machine.
///
/// The Hub's clean call deletes every entry of the app, from every repository. A repository
/// whose checkpoint predates the last clean therefore has nothing in the Hub any more, whatever
/// its checkpoint says, and must deliver everything again. The record lives in the user's state
/// directory (`$XDG_STATE_HOME/worktrail-git`, by default `~/.local/state/worktrail-git`), so it
/// reaches every repository synced by this user on this machine.
struct HubCleanRecord {
    let path: String

    init(configuration: HubConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/state")
        // The app key is part of the identity (each app has its own entries) but is not written
        // out: the file name carries a hash of it.
        let identity = configuration.baseURL.absoluteString + "\n" + (configuration.credentials?.appKey ?? "")
        let name = String(Self.fnv1a(identity), radix: 16)
        path = "\(state)/worktrail-git/hub-cleaned/\(name)"
    }

    /// When the Hub was last cleaned, in seconds since 1970; nil when never from here.
    func lastClean() -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Records a clean that happened at `time`.
    func recordClean(at time: Double) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try String(time).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// 64-bit FNV-1a: a stable, dependency-free hash for a file name (not for security).
    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
