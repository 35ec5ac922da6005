/// Where a Hub entry comes from (`srctype` on the wire).
public enum SourceType: String, Codable, Sendable, CaseIterable {
    case issues, erp, scm, phone, geo, other
}

/// Who may see a Hub entry (`privacy` on the wire).
public enum Privacy: String, Codable, Sendable, CaseIterable {
    /// Only the employee the entry belongs to.
    case `private`
    /// Everyone in the company who may see the employee's timeline.
    case company
}

/// One data point on an employee's timeline: one commit, one call, one ERP activity.
public struct HubEntry: Codable, Sendable, Equatable {
    /// The employee the entry belongs to; nil leaves the choice to the Hub.
    public var employeeID: Int?
    /// Start, in seconds since 1970-01-01 UTC.
    public var time: Int64
    /// End, in seconds since 1970-01-01 UTC.
    public var endTime: Int64?
    public var sourceType: SourceType
    /// A short description of the activity.
    public var summary: String
    /// A web page about the activity.
    public var link: String
    public var privacy: Privacy?

    public init(
        employeeID: Int? = nil,
        time: Int64,
        endTime: Int64? = nil,
        sourceType: SourceType,
        summary: String,
        link: String,
        privacy: Privacy? = nil
    ) {
        self.employeeID = employeeID
        self.time = time
        self.endTime = endTime
        self.sourceType = sourceType
        self.summary = summary
        self.link = link
        self.privacy = privacy
    }

    enum CodingKeys: String, CodingKey {
        case employeeID = "employee_id"
        case time
        case endTime = "endtime"
        case sourceType = "srctype"
        case summary
        case link
        case privacy
    }
}

/// An employee of the company, as the Hub lists them.
public struct Employee: Codable, Sendable, Equatable {
    public var id: Int
    public var firstName: String?
    public var lastName: String?
    public var name: String?
    /// The employee's primary e-mail address, as WorkTrail uses it.
    public var username: String?

    public init(
        id: Int,
        firstName: String? = nil,
        lastName: String? = nil,
        name: String? = nil,
        username: String? = nil
    ) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.name = name
        self.username = username
    }

    enum CodingKeys: String, CodingKey {
        case id, name, username
        case firstName = "first_name"
        case lastName = "last_name"
    }
}

/// The company an auth token belongs to.
public struct Company: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String?
    public var slug: String?

    public init(id: Int, name: String? = nil, slug: String? = nil) {
        self.id = id
        self.name = name
        self.slug = slug
    }
}
