import Foundation
import Parquet
import Synchronization
import Testing

/// `WorkerPool.map`, which FerryDelta's merges run on: every piece once, handed out in the given order, results
/// by index, and nothing new started after a failure.
@Suite struct WorkerPoolTests {
    struct Failure: Error, Equatable {
        let index: Int
    }

    @Test(arguments: [1, 2, 4])
    func everyIndexRunsOnceAndItsResultLandsAtItsIndex(threads: Int) {
        let pool = WorkerPool<Int>(threads: threads) { 10 }
        let runs = Mutex<[Int]>([])
        let order = [5, 3, 0, 1, 4, 2]
        let results = pool.map(6, order: order) { (index: Int, resource: Int) throws(Failure) -> Int in
            runs.withLock { $0.append(index) }
            return index * resource
        }
        #expect(runs.withLock { $0.sorted() } == Array(0..<6))
        #expect(results.map { try? $0?.get() } == [0, 10, 20, 30, 40, 50])
        if threads == 1 { #expect(runs.withLock { $0 } == order) }
    }

    @Test(arguments: [1, 2])
    func afterAFailureNoFurtherIndexStarts(threads: Int) {
        let pool = WorkerPool<Void>(threads: threads, makeResource: {})
        let order = Array((0..<50).reversed())
        let started = Mutex<[Int]>([])
        let results = pool.map(50, order: order) { (index: Int, _: Void) throws(Failure) -> Int in
            started.withLock { $0.append(index) }
            if index == 47 { throw Failure(index: index) }
            Thread.sleep(forTimeInterval: 0.005)
            return index
        }
        let ran = started.withLock { $0 }
        // Pieces start in `order`, so those that ran are its first ones; a few may have been claimed already when
        // the failure came, the rest never start and have no outcome.
        #expect(Set(ran) == Set(order.prefix(ran.count)))
        #expect(ran.count < 10)
        #expect(results.compactMap { $0 }.count == ran.count)
        guard case .failure(let failure)? = results[47] else {
            Issue.record("index 47 should have failed: \(String(describing: results[47]))")
            return
        }
        #expect(failure == Failure(index: 47))
        #expect(results[0] == nil)
    }
}
