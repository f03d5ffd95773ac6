import FerryCore
import Foundation
import Logging

extension Engine {
    /// Once every table has committed: the destination adds back the constraints between tables that the loads
    /// set aside (foreign keys). One it cannot add (the data violates it) fails the table it belongs to, or, when
    /// that table is not in the run, a failed outcome of its own; a table that already failed keeps its own error.
    func restoreConstraints(tables: [TableSpec], outcomes: inout [TableOutcome]) async {
        guard let destination = destination as? any ConstraintRestoringDestination else { return }
        let result = await BlockingThread.run(name: "ferry-constraints") {
            () -> Swift.Result<[FerryError], FerryError> in
            do throws(FerryError) {
                return .success(try destination.restoreConstraints())
            } catch {
                return .failure(error)
            }
        }
        let failures: [FerryError]
        switch result {
        case .success(let list): failures = list
        case .failure(let error): failures = [error]
        }
        for failure in failures {
            logger.error("constraint not restored", metadata: ["error": "\(failure)"])
            let owner = failure.table.flatMap { label in tables.first { Self.names(label, $0.targetName) } }
            if let owner, let index = outcomes.firstIndex(where: { $0.table == owner.name.description }) {
                if outcomes[index].status != .failed {
                    outcomes[index].status = .failed
                    outcomes[index].error = failure
                }
            } else {
                let now = Date()
                outcomes.append(
                    TableOutcome(
                        table: failure.table ?? "foreign keys", syncMode: .fullReplace, status: .failed,
                        error: failure, startedAt: now, finishedAt: now))
            }
        }
    }

    /// Whether `label` (`schema.name`, as the destination reports it) is `target`, whose schema the config may
    /// leave to the database's default.
    static func names(_ label: String, _ target: TableName) -> Bool {
        if label == target.description { return true }
        return target.schema == nil && label.hasSuffix("." + target.name)
    }
}
