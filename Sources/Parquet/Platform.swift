#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `memcmp`, kept here so only this file imports the C library.
@inline(__always)
func memcmpBytes(_ lhs: UnsafeRawPointer?, _ rhs: UnsafeRawPointer?, _ count: Int) -> Int32 {
    guard count > 0, let lhs, let rhs else { return 0 }
    return memcmp(lhs, rhs, count)
}

// File-scope names for the C functions that the types below shadow with methods.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

private func posixClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

/// The text of the current `errno`, for I/O error messages.
func errnoDescription() -> String {
    let code = errno
    return "\(String(cString: strerror(code))) (errno \(code))"
}

/// A file opened for writing, written sequentially.
struct OutputFile {
    let path: String
    private let descriptor: Int32

    /// Creates or truncates `path`.
    init(path: String) throws(ParquetError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ParquetError(.io, "cannot create \(path): \(errnoDescription())") }
        self.path = path
        self.descriptor = descriptor
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        var offset = 0
        while offset < bytes.count {
            let written = posixWrite(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ParquetError(.io, "cannot write \(path): \(errnoDescription())")
            }
            offset += written
        }
    }

    func write(_ bytes: [UInt8]) throws(ParquetError) {
        try withRawBytes(bytes) { raw throws(ParquetError) in try write(raw) }
    }

    func sync() throws(ParquetError) {
        guard fsync(descriptor) == 0 else { throw ParquetError(.io, "cannot fsync \(path): \(errnoDescription())") }
    }

    func close() throws(ParquetError) {
        guard posixClose(descriptor) == 0 else {
            throw ParquetError(.io, "cannot close \(path): \(errnoDescription())")
        }
    }
}

/// A file opened for random-access reading.
final class InputFile {
    let path: String
    let size: Int
    private let descriptor: Int32

    init(path: String) throws(ParquetError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ParquetError(.io, "cannot open \(path): \(errnoDescription())") }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let message = errnoDescription()
            _ = posixClose(descriptor)
            throw ParquetError(.io, "cannot stat \(path): \(message)")
        }
        self.path = path
        self.descriptor = descriptor
        size = Int(info.st_size)
    }

    deinit {
        _ = posixClose(descriptor)
    }

    /// Reads exactly `count` bytes at `offset`.
    func read(at offset: Int, count: Int) throws(ParquetError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw ParquetError(.corrupt, "\(path): range \(offset)+\(count) lies outside the \(size)-byte file")
        }
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let result = pread(descriptor, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errnoDescription()
                    break
                }
                if result == 0 {
                    failure = "unexpected end of file"
                    break
                }
                done += result
            }
            initialized = failure == nil ? count : 0
        }
        if let failure { throw ParquetError(.io, "cannot read \(path) at \(offset): \(failure)") }
        return bytes
    }
}

/// A pthread mutex, for the little state worker threads share.
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// The number of CPUs this process may run on.
func availableProcessors() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
