import Foundation
import Testing
@testable import WorkTrailHub

@Suite("HubEntry.validated(by:)")
struct EntryValidationTests {
    private func entry(
        time: Int64 = 1_700_000_000,
        endTime: Int64? = nil,
        summary: String = "Fix the parser",
        link: String = "https://github.com/acme/widgets/commit/abc"
    ) -> HubEntry {
        HubEntry(time: time, endTime: endTime, sourceType: .scm, summary: summary, link: link, privacy: .company)
    }

    // MARK: - Times

    @Test func endTimeBeforeTimeIsRefused() {
        #expect(throws: EntryProblem.endBeforeStart(time: 100, endTime: 99)) {
            try entry(time: 100, endTime: 99).validated()
        }
        #expect((try? entry(time: 100, endTime: 100).validated()) != nil)
    }

    @Test func timesOutsideTheWireRangeAreRefused() {
        #expect(throws: EntryProblem.timeOutOfRange(field: "time", value: -1)) { try entry(time: -1).validated() }
        let tooLate = EntryRules.validTimes.upperBound + 1
        #expect(throws: EntryProblem.timeOutOfRange(field: "endtime", value: tooLate)) {
            try entry(endTime: tooLate).validated()
        }
    }

    // MARK: - Summary

    @Test func summaryIsTrimmedAndMustNotBeEmpty() throws {
        #expect(try entry(summary: "  \n Fix it \t").validated().summary == "Fix it")
        #expect(throws: EntryProblem.emptySummary) { try entry(summary: " \n\t ").validated() }
    }

    /// A cut never splits a grapheme cluster, however many scalars or bytes it holds.
    @Test func summaryIsCutOnCharacterBoundaries() throws {
        let family = "👨‍👩‍👧‍👦"  // one character, seven scalars, 25 bytes
        let text = String(repeating: "é" + family, count: 10)
        let byCharacters = try entry(summary: text).validated(by: EntryRules(summaryCharacterLimit: 5))
        #expect(byCharacters.summary == "é\(family)é\(family)é")

        let byBytes = try entry(summary: text).validated(by: EntryRules(summaryCharacterLimit: 1000, summaryByteLimit: 30))
        #expect(byBytes.summary == "é\(family)é")
        #expect(byBytes.summary.utf8.count <= 30)
        #expect(String(decoding: Array(byBytes.summary.utf8), as: UTF8.self) == byBytes.summary)
    }

    @Test func theDefaultLimitKeepsAThousandCharacters() throws {
        let long = String(repeating: "ß", count: 1500)
        #expect(try entry(summary: long).validated().summary.count == 1000)
    }

    // MARK: - Link

    @Test(arguments: ["ftp://example.com/file", "mailto:dev@example.com", "/relative/path", "https://"])
    func linkMustBeAnHTTPURL(link: String) {
        #expect(throws: EntryProblem.self) { try entry(link: link).validated() }
    }

    @Test func linkWithUserInformationIsRefusedWithoutRepeatingIt() {
        let link = "https://dev:hunter2@git.example.com/acme/widgets/commit/abc"
        #expect(throws: EntryProblem.linkHasUserInfo) { try entry(link: link).validated() }
        #expect(!EntryProblem.linkHasUserInfo.description.contains("hunter2"))
    }

    // MARK: - Wire form

    @Test func everySourceTypeAndPrivacyEncodesAsTheProtocolNamesIt() throws {
        #expect(SourceType.allCases.map(\.rawValue) == ["issues", "erp", "scm", "phone", "geo", "other"])
        #expect(Privacy.allCases.map(\.rawValue) == ["private", "company"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let full = HubEntry(
            employeeID: 7, time: 1, endTime: 2, sourceType: .phone, summary: "Call", link: "https://x.example/1",
            privacy: .company
        )
        let json = String(decoding: try encoder.encode(full), as: UTF8.self)
        #expect(json == #"{"employee_id":7,"endtime":2,"link":"https://x.example/1","privacy":"company","srctype":"phone","summary":"Call","time":1}"#)
    }
}

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test func delaysGrowExponentiallyWithJitterAndAreCapped() {
        let policy = RetryPolicy(baseDelay: 1, maximumDelay: 5)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 0) == 0.5)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 1) == 1)
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, random: 1) == 4)
        #expect(policy.delay(afterAttempt: 10, retryAfter: nil, random: 1) == 5)
        #expect(policy.delay(afterAttempt: 10, retryAfter: nil, random: 0) == 2.5)
    }

    @Test func retryAfterIsNeverCutShort() {
        let policy = RetryPolicy(baseDelay: 1, maximumDelay: 5)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 42, random: 1) == 42)
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() throws {
        #expect(RetryPolicy.parseRetryAfter("120") == 120)
        #expect(RetryPolicy.parseRetryAfter(nil) == nil)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        let now = try #require(ISO8601DateFormatter().date(from: "2015-10-21T07:27:00Z"))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 60)
    }
}
