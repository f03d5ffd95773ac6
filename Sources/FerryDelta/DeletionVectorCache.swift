import DeltaLake
import Foundation

/// The deletion vectors of a table's live files, each read once per logical file while the writer lives.
///
/// Merges run on several threads, so the cache takes a lock.
final class DeletionVectorCache: @unchecked Sendable {
    private let lock = NSLock()
    private var vectors: [String: (id: String, vector: DeletionVector)] = [:]

    /// The vector of the file at `path` when the cache holds the one with unique id `id`.
    func vector(of path: String, id: String) -> DeletionVector? {
        guard let cached = lock.withLock({ vectors[path] }), cached.id == id else { return nil }
        return cached.vector
    }

    func remember(_ vector: DeletionVector, id: String, path: String) {
        lock.withLock { vectors[path] = (id, vector) }
    }

    /// Forgets files that are no longer live.
    func retain(paths: Set<String>) {
        lock.withLock { vectors = vectors.filter { paths.contains($0.key) } }
    }
}
