import Foundation
import WorkTrailHub

/// What this user keeps per Hub and app, shared by every repository synced from this machine:
/// when the Hub was last cleaned, and the cached employee list.
///
/// The Hub's clean call deletes every entry of the app, from every repository. A repository
/// whose checkpoint predates the last clean therefore has nothing in the Hub any more, whatever
/// its checkpoint says, and must deliver everything again.
///
/// The files live in the user's state directory, `$XDG_STATE_HOME/worktrail-git/hubs/<key>`
/// (by default under `~/.local/state`), where the key is a hash of the Hub URL and app key.
struct HubState {
    let directory: String

    init(configuration: HubConfiguration, environment: [String: String]) {
        // The XDG rule: a relative XDG_STATE_HOME is ignored.
        let state =
            environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/state")
        // The app key is part of the identity (each app has its own entries) but is not written
        // out: the directory name carries a hash of it.
        let identity = configuration.baseURL.absoluteString + "\n" + (configuration.credentials?.appKey ?? "")
        directory = "\(state)/worktrail-git/hubs/\(String(fnv1a(identity), radix: 16))"
    }

    private var cleanedPath: String { "\(directory)/cleaned-at" }
    private var employeesPath: String { "\(directory)/employees.json" }

    /// When the Hub was last cleaned from this machine, in seconds since 1970.
    func lastClean() -> Double? {
        guard let text = try? String(contentsOfFile: cleanedPath, encoding: .utf8) else { return nil }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Records a clean that happened at `time`, and forgets what was delivered before it.
    func recordClean(at time: Double) throws {
        try write(Data(String(time).utf8), to: cleanedPath)
        try deliveredIndex().removeAll()
    }

    /// The commits and work delivered to this Hub from this machine.
    func deliveredIndex() throws -> DeliveredIndex {
        try DeliveredIndex(directory: directory)
    }

    private struct CachedEmployees: Codable {
        var fetchedAt: Double
        var employees: [Employee]
    }

    /// The Hub's employee list, from the cache when it is younger than `maxAge` seconds, else
    /// fetched with `fetch` and cached. When fetching fails, an older cache is used if there is one.
    func employees(maxAge: Double, fetch: () async throws -> [Employee]) async throws -> [Employee] {
        let cached = cachedEmployees()
        if let cached, Date().timeIntervalSince1970 - cached.fetchedAt <= maxAge {
            return cached.employees
        }
        do {
            let employees = try await fetch()
            let entry = CachedEmployees(fetchedAt: Date().timeIntervalSince1970, employees: employees)
            try? write(try JSONEncoder().encode(entry), to: employeesPath)
            return employees
        } catch {
            guard let cached else { throw error }
            return cached.employees
        }
    }

    /// The cached employee list, whatever its age; nil when there is none.
    func cachedEmployeeList() -> [Employee]? { cachedEmployees()?.employees }

    private func cachedEmployees() -> CachedEmployees? {
        guard let data = FileManager.default.contents(atPath: employeesPath) else { return nil }
        return try? JSONDecoder().decode(CachedEmployees.self, from: data)
    }

    private func write(_ data: Data, to path: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// 64-bit FNV-1a: a stable, dependency-free hash for file names (not for security).
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}
