import Foundation

extension StandInHub {
    /// The source types the service accepts for `srctype`.
    public static let sourceTypes: Set<String> = ["issues", "erp", "scm", "phone", "geo", "other"]
    /// The values the service accepts for `privacy`.
    public static let privacyValues: Set<String> = ["private", "company"]
    /// The scopes the service knows.
    public static let knownScopes: Set<String> = [
        "read-employees", "sync-hub-data", "read-tasks", "write-tasks", "read-workentries", "write-workentries",
    ]

    /// A field that failed validation, and what is wrong with it.
    struct FieldError: Error {
        var field: String
        var problem: String
    }

    /// Records a request, applies any queued fault for it, and routes it.
    func handle(_ message: HTTPRequestMessage, connectionID: Int) -> Outcome {
        let request = Self.record(of: message, connectionID: connectionID)
        let (fault, configuration, generation) = withLock { () -> (Fault?, Configuration, Int) in
            state.requestCount += 1
            if request.path == Path.createEntries { state.createRequestCount += 1 }
            if state.configuration.recordsRequests { state.requests.append(request) }
            condition.broadcast()
            return (takeFault(forPath: request.path), state.configuration, state.generation)
        }
        if let fault {
            if let outcome = Self.replacementOutcome(for: fault) { return outcome }
            if case .delay(let seconds) = fault, !pause(seconds: seconds, generation: generation) { return .drop }
        }
        return .respond(route(request, configuration: configuration, fault: fault), close: false)
    }

    /// Turns a request off the wire into a record: query, form fields and credential source decoded.
    static func record(of message: HTTPRequestMessage, connectionID: Int) -> RecordedRequest {
        let head = message.head
        let contentType = (head.header("content-type") ?? "").lowercased()
        let isForm = contentType.contains("application/x-www-form-urlencoded")
            || (contentType.isEmpty && !message.body.isEmpty)
        let form = isForm ? HTTPParsing.parseForm(message.body) : [:]
        return RecordedRequest(
            method: head.method, path: head.path, rawQuery: head.rawQuery,
            query: HTTPParsing.parseQuery(head.rawQuery), headers: head.headers, form: form,
            body: Data(message.body), credentialSource: credentialSource(headers: head.headers, form: form),
            connectionID: connectionID
        )
    }

    /// Where the credentials came from; a credential sent both ways counts as a header, which wins.
    static func credentialSource(headers: [String: String], form: [String: String]) -> CredentialSource {
        var inHeaders = false
        var inForm = false
        for (header, field) in [("x-appkey", "appkey"), ("x-secretapikey", "secretapikey"),
                                ("x-authtoken", "authtoken")] {
            if headers[header] != nil {
                inHeaders = true
            } else if form[field] != nil {
                inForm = true
            }
        }
        switch (inHeaders, inForm) {
        case (true, true): return .mixed
        case (true, false): return .headers
        case (false, true): return .formFields
        case (false, false): return .none
        }
    }

    /// Answers a request that no replacing fault took over.
    private func route(_ request: RecordedRequest, configuration: Configuration, fault: Fault?) -> HTTPResponse {
        let needsToken: Bool
        switch request.path {
        case Path.createEntries, Path.cleanEntries, Path.employees, Path.company:
            needsToken = true
        case Path.tokenRequest, Path.tokenConfirm:
            needsToken = false
        default:
            return .json(["error": "no such resource", "errortype": "not-found"], status: 404)
        }
        guard request.method == "POST" else {
            var response = HTTPResponse.json(["error": "method not allowed", "errortype": "method"], status: 405)
            response.headers.append(("Allow", "POST"))
            return response
        }
        if let refusal = authorize(request, configuration: configuration, needsToken: needsToken) {
            return refusal
        }
        switch request.path {
        case Path.createEntries:
            return createEntries(request, configuration: configuration, fault: fault)
        case Path.cleanEntries:
            return cleanEntries()
        case Path.employees:
            return listEmployees(request, configuration: configuration)
        case Path.company:
            return .json(configuration.company)
        case Path.tokenRequest:
            return requestToken(request, configuration: configuration)
        default:
            return confirmToken(request, configuration: configuration)
        }
    }

    // MARK: Authorization

    /// Checks the credentials; returns the refusal to answer, or nil when the request may go on.
    private func authorize(_ request: RecordedRequest, configuration: Configuration, needsToken: Bool)
        -> HTTPResponse? {
        guard let expected = configuration.credentials else { return nil }
        let appKey = request.header("x-appkey") ?? request.form["appkey"]
        let secret = request.header("x-secretapikey") ?? request.form["secretapikey"]
        let token = request.header("x-authtoken") ?? request.form["authtoken"]
        let status = configuration.authErrorStatus
        guard appKey == expected.appKey, secret == expected.secretAPIKey else {
            let message = appKey == nil || secret == nil ? "app key and secret api key required" : "invalid app key"
            return .json(["error": .string(message), "errortype": "auth"], status: status)
        }
        guard needsToken else { return nil }
        guard let token else {
            return .json(["error": "auth token required", "errortype": "auth"], status: status)
        }
        let accepted = token == expected.authToken || withLock { state.activatedTokens.contains(token) }
        guard accepted else {
            return .json(["error": "invalid auth token", "errortype": "auth"], status: status)
        }
        return nil
    }

    /// The answer to a request that fails validation.
    private static func invalidModel(_ message: String, _ error: FieldError, status: Int) -> HTTPResponse {
        .json(
            [
                "error": .string(message), "errortype": "invalid-model",
                "errorobj": .object([error.field: .string(error.problem)]),
            ],
            status: status
        )
    }

    // MARK: Hub entries

    private func createEntries(_ request: RecordedRequest, configuration: Configuration, fault: Fault?)
        -> HTTPResponse {
        let status = configuration.invalidModelStatus
        guard let dataText = request.form["data"] else {
            return Self.invalidModel("missing data", FieldError(field: "data", problem: "required"), status: status)
        }
        guard let data = try? JSONValue.parse(dataText) else {
            return Self.invalidModel("data is not JSON", FieldError(field: "data", problem: "not valid JSON"),
                                     status: status)
        }
        guard let batch = data["create"]?.arrayValue else {
            return Self.invalidModel("nothing to create", FieldError(field: "create", problem: "must be a list"),
                                     status: status)
        }
        let knownEmployees = configuration.requiresKnownEmployees ? Set(configuration.employees.map(\.id)) : nil
        var valid: [StoredEntry] = []
        valid.reserveCapacity(batch.count)
        for (index, value) in batch.enumerated() {
            do {
                let entry = try Self.validateEntry(value, configuration: configuration, knownEmployees: knownEmployees)
                valid.append(entry)
            } catch {
                return Self.invalidModel("entry \(index) is invalid: \(error.field) \(error.problem)", error,
                                         status: status)
            }
        }
        // Which entries a fault lets through; the others get no id.
        let stores: (Int) -> Bool
        var listsRefused = false
        switch fault {
        case .shortCreated(let count):
            stores = { $0 < count }
        case .createdWithNulls(let refused):
            stores = { !refused.contains($0) }
            listsRefused = true
        default:
            stores = { _ in true }
        }
        let created = withLock { () -> [JSONValue] in
            var ids: [JSONValue] = []
            ids.reserveCapacity(valid.count)
            for (index, entry) in valid.enumerated() {
                guard stores(index) else {
                    if listsRefused { ids.append(.null) }
                    continue
                }
                var stored = entry
                stored.id = state.nextEntryID
                state.nextEntryID += 1
                state.storedEntryCount += 1
                state.totalCreatedCount += 1
                if state.configuration.retainsEntries { state.entries.append(stored) }
                ids.append(.int(stored.id))
            }
            return ids
        }
        return .json(["created": .array(created)])
    }

    /// Checks one entry the way the service's model would; the id of the result is left at 0.
    static func validateEntry(_ value: JSONValue, configuration: Configuration, knownEmployees: Set<Int>?)
        throws(FieldError) -> StoredEntry {
        guard case .object(let fields) = value else {
            throw FieldError(field: "create", problem: "each entry must be an object")
        }
        func optionalInt(_ name: String) throws(FieldError) -> Int? {
            switch fields[name] {
            case nil, .null?: return nil
            case .int(let number)?: return number
            default: throw FieldError(field: name, problem: "must be an integer")
            }
        }
        func requiredString(_ name: String) throws(FieldError) -> String {
            switch fields[name] {
            case nil, .null?: throw FieldError(field: name, problem: "this field is required")
            case .string(let text)?:
                guard text.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
                    throw FieldError(field: name, problem: "must not be empty")
                }
                return text
            default: throw FieldError(field: name, problem: "must be a string")
            }
        }
        guard let time = try optionalInt("time") else {
            throw FieldError(field: "time", problem: "this field is required")
        }
        let endtime = try optionalInt("endtime")
        if let endtime, endtime < time {
            throw FieldError(field: "endtime", problem: "must not be before time")
        }
        let employeeID = try optionalInt("employee_id")
        if let employeeID, let knownEmployees, !knownEmployees.contains(employeeID) {
            throw FieldError(field: "employee_id", problem: "no such employee")
        }
        let srctype = try requiredString("srctype")
        guard sourceTypes.contains(srctype) else {
            let allowed = sourceTypes.sorted().joined(separator: ", ")
            throw FieldError(field: "srctype", problem: "must be one of \(allowed)")
        }
        let summary = try requiredString("summary")
        if configuration.poisonedSummaries.contains(summary) {
            throw FieldError(field: "summary", problem: "refused by the server")
        }
        let link = try requiredString("link")
        if configuration.poisonedLinks.contains(link) {
            throw FieldError(field: "link", problem: "refused by the server")
        }
        var privacy: String?
        switch fields["privacy"] {
        case nil, .null?:
            privacy = nil
        case .string(let text)? where privacyValues.contains(text):
            privacy = text
        default:
            throw FieldError(field: "privacy", problem: "must be private or company")
        }
        return StoredEntry(
            id: 0, employeeID: employeeID, time: time, endtime: endtime, srctype: srctype, summary: summary,
            link: link, privacy: privacy
        )
    }

    private func cleanEntries() -> HTTPResponse {
        withLock {
            state.entries.removeAll()
            state.storedEntryCount = 0
            state.cleanCount += 1
        }
        return .json([:])
    }

    // MARK: Employees

    private func listEmployees(_ request: RecordedRequest, configuration: Configuration) -> HTTPResponse {
        var employees = configuration.employees
        if let afterText = request.query["after"] ?? request.form["after"] {
            guard let after = Int(afterText) else {
                return Self.invalidModel("bad after", FieldError(field: "after", problem: "must be an integer"),
                                         status: configuration.invalidModelStatus)
            }
            employees = employees.filter { $0.modifyDate > after }
        }
        let pageSize = max(1, configuration.employeesPageSize)
        let pageCount = max(1, (employees.count + pageSize - 1) / pageSize)
        let pageText = request.query["page"] ?? request.form["page"] ?? "1"
        guard let page = Int(pageText), (1...pageCount).contains(page) else {
            return .json(["error": "invalid page", "errortype": "not-found"], status: 404)
        }
        let slice = employees.dropFirst((page - 1) * pageSize).prefix(pageSize)
        return .json(["list": .array(slice.map(\.json)), "num_pages": .int(pageCount), "page": .int(page)])
    }

    // MARK: Token flow

    private func requestToken(_ request: RecordedRequest, configuration: Configuration) -> HTTPResponse {
        let status = configuration.invalidModelStatus
        guard let accessType = request.form["accesstype"], ["company", "employee"].contains(accessType) else {
            return Self.invalidModel("bad access type", FieldError(field: "accesstype", problem: "must be company"),
                                     status: status)
        }
        let scopes = (request.form["scopes"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !scopes.isEmpty else {
            return Self.invalidModel("no scopes", FieldError(field: "scopes", problem: "this field is required"),
                                     status: status)
        }
        if let unknown = scopes.first(where: { !Self.knownScopes.contains($0) }) {
            return Self.invalidModel("unknown scope", FieldError(field: "scopes", problem: "unknown scope \(unknown)"),
                                     status: status)
        }
        let baseURL = baseURL.absoluteString
        let issued = withLock { () -> TokenRequest in
            let number = state.tokenRequests.count + 1
            let issued = TokenRequest(
                requestKey: "standin-request-\(number)",
                authToken: configuration.issuedAuthToken ?? "standin-token-\(number)",
                accessType: accessType, scopes: scopes, confirmPolls: 0, lastStatus: nil
            )
            state.tokenRequests.append(issued)
            return issued
        }
        return .json([
            "authtoken": .string(issued.authToken),
            "redirecturl": .string("\(baseURL)/approve/\(issued.requestKey)/"),
            "requestkey": .string(issued.requestKey),
        ])
    }

    private func confirmToken(_ request: RecordedRequest, configuration: Configuration) -> HTTPResponse {
        let key = request.form["requestkey"] ?? ""
        let answer = withLock { () -> String? in
            guard let index = state.tokenRequests.firstIndex(where: { $0.requestKey == key }) else { return nil }
            let poll = state.tokenRequests[index].confirmPolls
            let status = state.configuration.tokenScript.status(forPoll: poll)
            state.tokenRequests[index].confirmPolls = poll + 1
            state.tokenRequests[index].lastStatus = status
            if status == "active" { state.activatedTokens.insert(state.tokenRequests[index].authToken) }
            return status
        }
        guard let answer else {
            return Self.invalidModel("unknown request key", FieldError(field: "requestkey", problem: "unknown"),
                                     status: configuration.invalidModelStatus)
        }
        return .json(["status": .string(answer)])
    }
}
