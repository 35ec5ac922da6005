import WorkTrailHub

/// Finds the employee a commit author is, by e-mail, in company mode.
///
/// An employee's `username` is their primary e-mail address (as WorkTrail uses it); aliases
/// from `worktrail.employee.<id>.email` add more. Matching ignores case.
struct EmployeeDirectory {
    private var byEmail: [String: Int] = [:]

    init(employees: [Employee], aliases: [String: Int]) {
        for employee in employees {
            if let username = employee.username, username.contains("@") {
                byEmail[username.lowercased()] = employee.id
            }
        }
        // Aliases are the user's explicit word, so they win over the Hub's list.
        byEmail.merge(aliases) { _, alias in alias }
    }

    /// The employee id for an author e-mail (already lowercased), or nil for an unknown author.
    func employee(for email: String) -> Int? { byEmail[email] }
}
