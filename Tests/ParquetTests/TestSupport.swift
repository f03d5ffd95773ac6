import FerryTestKit
import Foundation
import Parquet

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("parquet-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

struct PythonError: Error, CustomStringConvertible {
    var description: String
}

/// Runs `script` with the test readers' Python (`Python.interpreter`) and parses its stdout as JSON.
func runPython(_ script: String, _ arguments: [String]) throws -> Any {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Python.interpreter)
    process.arguments = ["-c", script] + arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting, so a large output can't fill the pipe and block the child.
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PythonError(description: "python3 failed: \(String(decoding: stderr, as: UTF8.self))")
    }
    return try JSONSerialization.jsonObject(with: stdout, options: [.fragmentsAllowed])
}

/// The seeded generator of test data (FerryTestKit's SplitMix64).
typealias SeededGenerator = SplitMix64

func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        result.append(digits[Int(byte >> 4)])
        result.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: result, as: UTF8.self)
}

/// Big-endian two's complement bytes of `value`, `width` bytes long.
func bigEndianBytes(_ value: Int128, width: Int) -> [UInt8] {
    (0..<width).map { index in UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - index))) }
}

func int128(bigEndian bytes: ArraySlice<UInt8>) -> Int128 {
    var value: Int128 = (bytes.first ?? 0) & 0x80 != 0 ? -1 : 0
    for byte in bytes { value = (value << 8) | Int128(byte) }
    return value
}

/// The canonical text of every cell, the same form the Python side prints: integers in decimal (unsigned ones
/// unsigned, decimals as their unscaled integer), floats as the hex of their little-endian bytes, byte strings
/// (text included) as hex, booleans as true/false, NULL as nil.
func tokens(_ batch: ColumnBatch, field: ParquetField) -> [String?] {
    let unsigned: Bool
    if case .integer(_, false) = field.logicalType { unsigned = true } else { unsigned = false }
    var isDecimal = false
    if case .decimal = field.logicalType { isDecimal = true }
    let values: [String]
    switch batch.values {
    case .boolean(let array): values = array.map { $0 ? "true" : "false" }
    case .int32(let array): values = array.map { unsigned ? String(UInt32(bitPattern: $0)) : String($0) }
    case .int64(let array): values = array.map { unsigned ? String(UInt64(bitPattern: $0)) : String($0) }
    case .float(let array): values = array.map { withUnsafeBytes(of: $0.bitPattern.littleEndian) { hex($0) } }
    case .double(let array): values = array.map { withUnsafeBytes(of: $0.bitPattern.littleEndian) { hex($0) } }
    case .byteArray(let offsets, let data):
        values = (0..<(offsets.count - 1)).map { hex(data[offsets[$0]..<offsets[$0 + 1]]) }
    case .fixedLen(let width, let data):
        values = (0..<(data.count / width)).map { row in
            let slice = data[(row * width)..<((row + 1) * width)]
            return isDecimal ? String(int128(bigEndian: slice)) : hex(slice)
        }
    case .list, .structure:
        values = []
    }
    return values.enumerated().map { batch.isNull($0.offset) ? nil : $0.element }
}

/// Concatenates batches of the same column.
func concatenate(_ batches: [ColumnBatch]) -> ColumnBatch {
    var validity: [Bool] = []
    var anyNull = false
    for batch in batches {
        validity.append(contentsOf: batch.validity ?? Array(repeating: true, count: batch.count))
        anyNull = anyNull || batch.validity?.contains(false) == true
    }
    let values: ColumnValues
    switch batches.first?.values {
    case .boolean:
        values = .boolean(
            batches.flatMap { batch -> [Bool] in
                if case .boolean(let array) = batch.values { return array }
                return []
            })
    case .int32:
        values = .int32(
            batches.flatMap { batch -> [Int32] in
                if case .int32(let array) = batch.values { return array }
                return []
            })
    case .int64:
        values = .int64(
            batches.flatMap { batch -> [Int64] in
                if case .int64(let array) = batch.values { return array }
                return []
            })
    case .float:
        values = .float(
            batches.flatMap { batch -> [Float] in
                if case .float(let array) = batch.values { return array }
                return []
            })
    case .double:
        values = .double(
            batches.flatMap { batch -> [Double] in
                if case .double(let array) = batch.values { return array }
                return []
            })
    case .byteArray:
        var offsets = [0]
        var data: [UInt8] = []
        for batch in batches {
            guard case .byteArray(let batchOffsets, let batchData) = batch.values else { continue }
            for index in 1..<batchOffsets.count {
                data.append(contentsOf: batchData[batchOffsets[index - 1]..<batchOffsets[index]])
                offsets.append(data.count)
            }
        }
        values = .byteArray(offsets: offsets, data: data)
    case .fixedLen(let width, _):
        values = .fixedLen(
            width: width,
            data: batches.flatMap { batch -> [UInt8] in
                if case .fixedLen(_, let data) = batch.values { return data }
                return []
            })
    case .list, .structure, nil:
        values = .int32([])
    }
    return ColumnBatch(values: values, validity: anyNull ? validity : nil)
}

/// Builds a BYTE_ARRAY column from byte strings.
func byteArrayValues(_ strings: [[UInt8]]) -> ColumnValues {
    var offsets = [0]
    var data: [UInt8] = []
    for string in strings {
        data.append(contentsOf: string)
        offsets.append(data.count)
    }
    return .byteArray(offsets: offsets, data: data)
}
