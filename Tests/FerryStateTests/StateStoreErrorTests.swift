import FerryCore
import FerryState
import FerryTestKit
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A state file Ferry cannot use fails with the file's name and what to do, never with a library's description.
@Suite struct StateStoreErrorTests {
    typealias F = StateFixtures

    /// What GRDB's and SQLite's own error descriptions contain, which a user's message must not.
    static func expectNoLibraryDescription(_ message: String) {
        for marker in ["SQLite error", "while executing", "DatabaseError", "GRDB", "arguments:"] {
            #expect(!message.contains(marker), "\(marker) in: \(message)")
        }
    }

    @Test(arguments: [
        ("random bytes", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }),
        ("a YAML file", Array("state:\n  path: .ferry/state.db\ntables: []\n".utf8)),
    ])
    func aFileThatIsNotADatabaseFailsNamingTheFileAndWhatToDo(what: String, bytes: [UInt8]) throws {
        let dir = TempDirectory("state")
        let path = dir.file("state.db")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let error = #expect(throws: FerryError.self, "\(what)") { _ = try StateStore(path: path) }
        #expect(error?.code == .io)
        let message = error?.message ?? ""
        #expect(message.contains(path))
        #expect(message.contains("is not a Ferry state store"))
        #expect(message.contains("Move it aside"))
        #expect(message.contains("state.path"))
        Self.expectNoLibraryDescription(message)
        #expect(error?.underlying is DatabaseError, "the library's error is kept beside the message")
        // Ferry leaves the file as it was: it may be something the user needs.
        #expect(FileManager.default.contents(atPath: path) == Data(bytes))
    }

    @Test(.enabled(if: ReadOnlyFile.canMake, "this user can make no file read-only here"))
    func aReadOnlyStoreIsReadButWritingItSaysWhatToDo() throws {
        let dir = TempDirectory("state")
        let path = dir.file("state.db")
        do {
            let store = try StateStore(path: path)
            try store.startRun(F.run("r1", at: 0))
            try store.finishRun(id: "r1", status: "succeeded", at: F.date(1))
        }
        try ReadOnlyFile.make(path)
        defer { withExtendedLifetime(dir) { ReadOnlyFile.undo(path) } }
        // `ferry status` and `ferry history` still work on a store they cannot write.
        let store = try StateStore(path: path)
        #expect(try store.runs(limit: 10).map(\.id) == ["r1"])
        let error = #expect(throws: FerryError.self) { try store.startRun(F.run("r2", at: 10)) }
        #expect(error?.code == .io)
        let message = error?.message ?? ""
        #expect(message.contains(path))
        #expect(message.contains("is read-only"))
        #expect(message.contains("while recording the run start"))
        #expect(message.contains("make the file and its directory writable"))
        #expect(message.contains("state.path"))
        Self.expectNoLibraryDescription(message)
        #expect(try store.runs(limit: 10).map(\.id) == ["r1"])
    }

    @Test(.enabled(if: ReadOnlyFile.canMake, "this user can make no file read-only here"))
    func aReadOnlyStoreFromAnOlderFerrySaysItCannotBeUpgraded() throws {
        let dir = TempDirectory("state")
        let path = dir.file("state.db")
        try MigrationTests.v1Store(path)
        try ReadOnlyFile.make(path)
        defer { withExtendedLifetime(dir) { ReadOnlyFile.undo(path) } }
        let error = #expect(throws: FerryError.self) { _ = try StateStore(path: path) }
        let message = error?.message ?? ""
        #expect(message.contains(path))
        #expect(message.contains("is read-only and Ferry needs to write it to bring it up to this version"))
        Self.expectNoLibraryDescription(message)
    }

    @Test func aStatePathThatIsADirectoryFailsNamingIt() throws {
        let dir = TempDirectory("state")
        let path = dir.file("state.db")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let error = #expect(throws: FerryError.self) { _ = try StateStore(path: path) }
        #expect(error?.code == .io)
        let message = error?.message ?? ""
        #expect(message.contains("cannot open the state store \(path)"))
        #expect(message.contains("not a directory"))
        #expect(message.contains("state.path"))
        Self.expectNoLibraryDescription(message)
    }

    @Test func aStatePathUnderAFileFailsNamingTheDirectory() throws {
        let dir = TempDirectory("state")
        #expect(FileManager.default.createFile(atPath: dir.file("ferry"), contents: Data("x".utf8)))
        let path = dir.file("ferry/state.db")
        let error = #expect(throws: FerryError.self) { _ = try StateStore(path: path) }
        #expect(error?.code == .io)
        let message = error?.message ?? ""
        #expect(message.contains("cannot create the directory \(dir.file("ferry")) for the state store \(path)"))
        #expect(message.contains("state.path"))
    }
}

/// Makes a file read-only for this process, whoever it runs as: the mode bits, and for root (whom mode bits do
/// not stop) the immutable attribute, where the file system has one.
enum ReadOnlyFile {
    /// Whether this process can make a file it cannot open for writing.
    static let canMake: Bool = {
        let dir = TempDirectory("read-only-probe")
        let path = dir.file("probe")
        guard FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) else { return false }
        defer { withExtendedLifetime(dir) { undo(path) } }
        return (try? make(path)) != nil
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func make(_ path: String) throws {
        chmod(path, 0o444)
        if getuid() == 0 { _ = try? Subprocess.run(["/usr/bin/chattr", "+i", path]) }
        let fd = open(path, O_WRONLY)
        guard fd < 0 else {
            close(fd)
            throw Failure(description: "\(path) is still writable")
        }
    }

    static func undo(_ path: String) {
        if getuid() == 0 { _ = try? Subprocess.run(["/usr/bin/chattr", "-i", path]) }
        chmod(path, 0o644)
    }
}
