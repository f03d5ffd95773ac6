import FerryCore

/// PostgreSQL's binary send forms (postgres-wire.md A) of the types Ferry reads natively, read in place from one
/// field of the server's buffer.
///
/// Values arrive in binary in two places: binary COPY (`BinaryCopyDecoder`: snapshots and full loads) and
/// pgoutput's `binary` option (`TupleBinary`: the change stream). Both read through here, so a value gets the same
/// length check, epoch shift and infinity test, and fails with the same `ValueFailure`, wherever it is read.
///
/// Both callers are hot paths (binary COPY reads at about the speed of COPY itself). Each reader is a few
/// instructions, inlined into its caller's type switch; nothing allocates unless a value fails (a failure's text
/// is built out of line, in `wrongLength`).
enum SendForm {
    /// 2000-01-01 (PostgreSQL's epoch) in days since 1970-01-01.
    static let unixEpochDaysOffset: Int64 = 10_957
    /// 2000-01-01 (PostgreSQL's epoch) in µs since 1970-01-01.
    static let unixEpochMicrosOffset: Int64 = 946_684_800_000_000

    @inline(__always)
    static func bool(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Bool {
        try length(f, 1, "a boolean")
        return f[0] != 0
    }

    @inline(__always)
    static func int16(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Int64 {
        try length(f, 2, "a smallint")
        return Int64(Int16(bitPattern: f.be16(0)))
    }

    @inline(__always)
    static func int32(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Int64 {
        try length(f, 4, "an integer")
        return Int64(Int32(bitPattern: f.be32(0)))
    }

    @inline(__always)
    static func int64(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Int64 {
        try length(f, 8, "a bigint")
        return Int64(bitPattern: f.be64(0))
    }

    @inline(__always)
    static func float32(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Double {
        try length(f, 4, "a real")
        return Double(Float(bitPattern: f.be32(0)))
    }

    @inline(__always)
    static func float64(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Double {
        try length(f, 8, "a double precision")
        return Double(bitPattern: f.be64(0))
    }

    /// A `numeric(precision, scale)` (precision ≤ 38) as its unscaled value at `scale`; NaN, infinities and values
    /// that would be rounded fail.
    @inline(__always)
    static func decimal(_ f: UnsafeRawBufferPointer, precision: Int, scale: Int) throws(ValueFailure) -> Int128 {
        do throws(NumericFailure) {
            return try NumericBinary.unscaled(f, scale: scale)
        } catch {
            throw .numeric(error, type: "numeric(\(precision),\(scale))")
        }
    }

    /// An unconstrained `numeric` as its canonical text (`NaN` and the infinities included), appended to `out`.
    @inline(__always)
    static func appendNumericText(_ f: UnsafeRawBufferPointer, to out: inout [UInt8]) throws(ValueFailure) {
        do throws(NumericFailure) {
            try NumericBinary.appendText(f, to: &out)
        } catch {
            throw .numeric(error, type: "numeric")
        }
    }

    /// `jsonb`'s text, after its version byte (1, the only version there is).
    @inline(__always)
    static func jsonb(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> UnsafeRawBufferPointer {
        guard f.count >= 1, f[0] == 1 else { throw .malformed(expected: "jsonb of binary version 1") }
        return UnsafeRawBufferPointer(rebasing: f[1...])
    }

    /// A `uuid`'s 16 bytes.
    @inline(__always)
    static func uuid(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> UnsafeRawBufferPointer {
        try length(f, 16, "a uuid")
        return f
    }

    /// A `date` as days since 1970-01-01; `infinity` and `-infinity` fail.
    @inline(__always)
    static func date(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Int64 {
        try length(f, 4, "a date")
        let days = Int32(bitPattern: f.be32(0))
        guard days != .max, days != .min else { throw .infinity }
        return Int64(days) + unixEpochDaysOffset
    }

    /// A `time` as µs since midnight.
    @inline(__always)
    static func time(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Int64 {
        try length(f, 8, "a time")
        return Int64(bitPattern: f.be64(0))
    }

    /// A `timestamp` or `timestamptz` as µs since 1970-01-01 (UTC for `timestamptz`); infinities fail, and so do
    /// the last days of PostgreSQL's range, which µs since 1970 cannot hold in 64 bits.
    @inline(__always)
    static func timestamp(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> Int64 {
        try length(f, 8, "a timestamp")
        let micros = Int64(bitPattern: f.be64(0))
        guard micros != .max, micros != .min else { throw .infinity }
        let (unix, overflow) = micros.addingReportingOverflow(unixEpochMicrosOffset)
        guard !overflow else { throw .outOfRange("a timestamp") }
        return unix
    }

    @inline(__always)
    private static func length(_ f: UnsafeRawBufferPointer, _ n: Int, _ what: StaticString) throws(ValueFailure) {
        guard f.count == n else { throw wrongLength(f.count, what) }
    }

    /// Out of line, so the text is built only when a value fails and the inlined check stays a compare.
    @inline(never)
    private static func wrongLength(_ count: Int, _ what: StaticString) -> ValueFailure {
        .malformed(expected: "\(what) (\(count) bytes in binary form)")
    }
}
