import Foundation

extension StandInHub {
    /// The paths the stand-in answers, all with the trailing slash the real service requires.
    public enum Path {
        public static let createEntries = "/rest/hub/entries/create/"
        public static let cleanEntries = "/rest/hub/entries/clean/"
        public static let employees = "/rest/employees/"
        public static let company = "/rest/company/"
        public static let tokenRequest = "/rest/token/request/"
        public static let tokenConfirm = "/rest/token/confirm/"
    }

    /// The secrets the stand-in expects.
    ///
    /// Every route needs the app key and the secret API key. Every route but the two token routes also needs an auth
    /// token: `authToken` when it is set, or one the token flow has activated.
    public struct Credentials: Sendable, Equatable {
        public var appKey: String
        public var secretAPIKey: String
        public var authToken: String?

        public init(appKey: String, secretAPIKey: String, authToken: String? = nil) {
            self.appKey = appKey
            self.secretAPIKey = secretAPIKey
            self.authToken = authToken
        }
    }

    /// How the credentials of a request travelled.
    public enum CredentialSource: String, Sendable, Equatable {
        /// No credential at all.
        case none
        /// Every credential sent came in `X-APPKEY`, `X-SECRETAPIKEY` or `X-AUTHTOKEN` headers.
        case headers
        /// Every credential sent came in `appkey`, `secretapikey` or `authtoken` form fields.
        case formFields
        /// Some in headers, some in form fields.
        case mixed
    }

    /// One employee of the stand-in company, as listed by `/rest/employees/`.
    public struct Employee: Sendable, Equatable {
        public var id: Int
        public var firstName: String
        public var lastName: String
        /// The display name; defaults to first and last name.
        public var name: String
        /// The primary e-mail address, by the service's convention.
        public var username: String
        /// Seconds since 1970; lists filtered with `after=` only show employees modified later.
        public var modifyDate: Int
        /// Further members to send, such as `email` or `active`.
        public var extra: [String: JSONValue]

        public init(
            id: Int, firstName: String, lastName: String, username: String, name: String? = nil,
            modifyDate: Int = 1_700_000_000, extra: [String: JSONValue] = [:]
        ) {
            self.id = id
            self.firstName = firstName
            self.lastName = lastName
            self.username = username
            self.name = name ?? "\(firstName) \(lastName)"
            self.modifyDate = modifyDate
            self.extra = extra
        }

        /// The employee as the service sends it.
        public var json: JSONValue {
            var members = extra
            members["id"] = .int(id)
            members["first_name"] = .string(firstName)
            members["last_name"] = .string(lastName)
            members["name"] = .string(name)
            members["username"] = .string(username)
            members["modifydate"] = .int(modifyDate)
            return .object(members)
        }

        /// `count` made-up employees with ids from 1 and addresses `user<N>@example.com`.
        public static func samples(count: Int) -> [Employee] {
            (0..<max(0, count)).map { index in
                Employee(
                    id: index + 1, firstName: "User", lastName: "Number\(index + 1)",
                    username: "user\(index + 1)@example.com"
                )
            }
        }
    }

    /// What `/rest/token/confirm/` answers for successive polls of one request key.
    public enum TokenScript: Sendable, Equatable {
        /// `pending` for the first `pendingPolls` polls, then `active` for good.
        case activeAfter(pendingPolls: Int)
        /// `pending` for the first `pendingPolls` polls, then `rejected` for good.
        case rejectedAfter(pendingPolls: Int)
        /// `pending` forever, as when no manager ever approves.
        case alwaysPending
        /// These statuses in order; the last one repeats.
        case sequence([String])

        /// The status for the poll numbered `poll`, counting from 0.
        func status(forPoll poll: Int) -> String {
            switch self {
            case .activeAfter(let pending):
                return poll < pending ? "pending" : "active"
            case .rejectedAfter(let pending):
                return poll < pending ? "pending" : "rejected"
            case .alwaysPending:
                return "pending"
            case .sequence(let statuses):
                guard let last = statuses.last else { return "pending" }
                return poll < statuses.count ? statuses[poll] : last
            }
        }
    }

    /// One token request the stand-in has issued, and how often it was polled.
    public struct TokenRequest: Sendable, Equatable {
        public var requestKey: String
        public var authToken: String
        public var accessType: String
        public var scopes: [String]
        /// Number of `/rest/token/confirm/` calls for this request key.
        public var confirmPolls: Int
        /// The status last answered for this key, nil before the first poll.
        public var lastStatus: String?
    }

    /// Everything that shapes how the stand-in answers; can be changed while it runs.
    public struct Configuration: Sendable {
        /// The secrets expected; nil accepts any request, with or without secrets.
        public var credentials: Credentials?
        /// The employees listed by `/rest/employees/`.
        public var employees: [Employee]
        /// How many employees one page lists.
        public var employeesPageSize: Int
        /// The object answered by `/rest/company/`.
        public var company: JSONValue
        /// The statuses answered by `/rest/token/confirm/`.
        public var tokenScript: TokenScript
        /// The auth token handed out by `/rest/token/request/`; nil makes a fresh one per request.
        public var issuedAuthToken: String?
        /// HTTP status of an `invalid-model` answer; the real service is known to answer errors with 200.
        public var invalidModelStatus: Int
        /// HTTP status of an answer to missing or wrong credentials.
        public var authErrorStatus: Int
        /// Entries with one of these summaries are refused as invalid, as if the server disliked them.
        public var poisonedSummaries: Set<String>
        /// Entries with one of these links are refused as invalid.
        public var poisonedLinks: Set<String>
        /// When true, an `employee_id` must name one of `employees`.
        public var requiresKnownEmployees: Bool
        /// When false, created entries are only counted, not kept: for benchmarks with many entries.
        public var retainsEntries: Bool
        /// When false, requests are only counted, not kept: for benchmarks with many requests.
        public var recordsRequests: Bool
        /// The id given to the first created entry; later ones count up from it.
        public var firstEntryID: Int
        /// Seconds a keep-alive connection may sit idle before the stand-in closes it.
        public var idleTimeout: Double

        public init(
            credentials: Credentials? = nil,
            employees: [Employee] = [],
            employeesPageSize: Int = 50,
            company: JSONValue = Configuration.defaultCompany,
            tokenScript: TokenScript = .activeAfter(pendingPolls: 0),
            issuedAuthToken: String? = nil,
            invalidModelStatus: Int = 200,
            authErrorStatus: Int = 403,
            poisonedSummaries: Set<String> = [],
            poisonedLinks: Set<String> = [],
            requiresKnownEmployees: Bool = false,
            retainsEntries: Bool = true,
            recordsRequests: Bool = true,
            firstEntryID: Int = 1001,
            idleTimeout: Double = 60
        ) {
            self.credentials = credentials
            self.employees = employees
            self.employeesPageSize = employeesPageSize
            self.company = company
            self.tokenScript = tokenScript
            self.issuedAuthToken = issuedAuthToken
            self.invalidModelStatus = invalidModelStatus
            self.authErrorStatus = authErrorStatus
            self.poisonedSummaries = poisonedSummaries
            self.poisonedLinks = poisonedLinks
            self.requiresKnownEmployees = requiresKnownEmployees
            self.retainsEntries = retainsEntries
            self.recordsRequests = recordsRequests
            self.firstEntryID = firstEntryID
            self.idleTimeout = idleTimeout
        }

        /// The company answered when none is configured.
        public static let defaultCompany: JSONValue = [
            "id": 1, "name": "Stand-in Company", "slug": "stand-in-company",
            "default_project_id": 10, "default_task_id": 100,
        ]
    }

    /// One request as the stand-in received it, kept for assertions.
    public struct RecordedRequest: Sendable {
        public var method: String
        public var path: String
        /// The query string without `?`, as sent.
        public var rawQuery: String
        /// Decoded query parameters.
        public var query: [String: String]
        /// Header names are lowercased.
        public var headers: [String: String]
        /// Decoded form fields of an `application/x-www-form-urlencoded` body.
        public var form: [String: String]
        /// The body as sent (after removing chunked framing).
        public var body: Data
        /// How the credentials travelled.
        public var credentialSource: CredentialSource
        /// The connection that carried the request, counting from 1; equal ids mean a reused connection.
        public var connectionID: Int

        /// A header by name, case-insensitively.
        public func header(_ name: String) -> String? {
            headers[name.lowercased()]
        }

        /// The `data` form field parsed as JSON, nil when missing or not JSON.
        public var data: JSONValue? {
            guard let text = form["data"] else { return nil }
            return try? JSONValue.parse(text)
        }

        /// The `create` list of a create request, nil when there is none.
        public var createdBatch: [JSONValue]? {
            data?["create"]?.arrayValue
        }
    }

    /// One hub entry the stand-in stored.
    public struct StoredEntry: Sendable, Equatable, Codable {
        public var id: Int
        public var employeeID: Int?
        public var time: Int
        public var endtime: Int?
        public var srctype: String
        public var summary: String
        public var link: String
        public var privacy: String?

        enum CodingKeys: String, CodingKey {
            case id
            case employeeID = "employee_id"
            case time, endtime, srctype, summary, link, privacy
        }

        public init(
            id: Int, employeeID: Int?, time: Int, endtime: Int?, srctype: String, summary: String, link: String,
            privacy: String?
        ) {
            self.id = id
            self.employeeID = employeeID
            self.time = time
            self.endtime = endtime
            self.srctype = srctype
            self.summary = summary
            self.link = link
            self.privacy = privacy
        }
    }
}
