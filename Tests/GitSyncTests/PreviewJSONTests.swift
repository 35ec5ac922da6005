import Foundation
import Testing
import WorkTrailHub
@testable import GitSync

@Suite("Preview lines as JSON")
struct PreviewJSONTests {
    private func encoded(_ line: RepositorySync.PreviewLine) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(line), as: UTF8.self)
    }

    private func written(_ line: RepositorySync.PreviewLine) -> String {
        var out: [UInt8] = []
        line.appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The preview's own writer must print exactly what JSONEncoder printed before it.
    @Test func writerMatchesJSONEncoderForEveryControlCharacterAndOptionalField() throws {
        let controls = String(decoding: (1..<0x20).map { UInt8($0) }, as: UTF8.self)
        let summaries = [
            "repo: plain", "repo: \"quoted\" \\ back/slash", "repo: \(controls)", "repo: Übersetzung – ça 🎉",
            "repo: \u{7F}\u{2028}\u{2029}", "",
        ]
        for summary in summaries {
            for employeeID in [nil, 7] as [Int?] {
                for privacy in [nil, Privacy.company] as [Privacy?] {
                    let entry = HubEntry(
                        employeeID: employeeID, time: 1_700_000_000, endTime: employeeID.map { Int64($0) },
                        sourceType: .scm, summary: summary, link: "https://example.com/a/commit/0f?x=1&y=</>",
                        privacy: privacy
                    )
                    let line = RepositorySync.PreviewLine(commit: String(repeating: "ab", count: 20), entry: entry)
                    #expect(written(line) == (try encoded(line)))
                }
            }
        }
    }
}
