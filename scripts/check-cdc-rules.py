#!/usr/bin/env python3
"""Reverts each rule of the CDC stream's decisions, one at a time, and checks that a unit test fails.

    scripts/check-cdc-rules.py            # every rule: prints KILLED (a test failed) or SURVIVED per rule

The rules live in two value types (CDCStreamStateMachine, ReplicationStatusStateMachine); each mutation below
breaks one of them the way a plausible regression would. A SURVIVED rule has no test that pins it. Sources are
restored after each mutation (also on Ctrl-C). Takes about 30 s per rule (an incremental debug build and the two
test suites).
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MACHINE = ROOT / "Sources/FerryEngine/CDC/CDCStreamStateMachine.swift"
STATUS = ROOT / "Sources/FerryPostgres/Replication/ReplicationStatusStateMachine.swift"
TESTS = "CDCStreamStateMachineTests|ReplicationStatusStateMachineTests"

# (file, rule, the code as it is, the code with the rule reverted)
MUTATIONS = [
    (MACHINE, "due at batch_max_memory",
     "if pending.changes >= settings.batchMaxRows || pending.bytes >= settings.batchMaxBytes { return true }",
     "if pending.changes >= settings.batchMaxRows { return true }"),
    (MACHINE, "due at batch_max_rows",
     "if pending.changes >= settings.batchMaxRows || pending.bytes >= settings.batchMaxBytes { return true }",
     "if pending.bytes >= settings.batchMaxBytes { return true }"),
    (MACHINE, "a batch with nothing for the tables is due at once",
     "guard let first = pending.firstChangeAt else { return true }",
     "guard let first = pending.firstChangeAt else { return false }"),
    (MACHINE, "not due before batch_max_seconds",
     "guard age >= settings.batchMaxSeconds else { return false }", ""),
    (MACHINE, "due at ten times batch_max_seconds even when behind",
     "if quiet || age >= 10 * settings.batchMaxSeconds { return true }", "if quiet { return true }"),
    (MACHINE, "a batch that is behind grows",
     "return !isBehind(pending, now: now)\n", "return true\n"),
    (MACHINE, "nothing is due inside a transaction",
     "guard pending.hasBatch, !pending.inTransaction else { return false }",
     "guard pending.hasBatch else { return false }"),
    (MACHINE, "no idle confirmation while a batch applies",
     "if pending.hasBatch || pending.inTransaction || !applierIdle {",
     "if pending.hasBatch || pending.inTransaction {"),
    (MACHINE, "a kept idle position waits for the applier",
     "if let end = idleEnd, !pending.hasBatch, !pending.inTransaction, applierIdle {",
     "if let end = idleEnd, !pending.hasBatch, !pending.inTransaction {"),
    (MACHINE, "an idle position reported while busy is kept",
     "idleEnd = max(idleEnd ?? walEnd, walEnd)", "idleEnd = idleEnd ?? nil"),
    (MACHINE, "only a transaction past batch_max_memory by itself is cut into parts",
     "if pending.inTransaction && pending.transactionBytes >= settings.batchMaxBytes",
     "if pending.inTransaction && pending.bytes >= settings.batchMaxBytes"),
    (MACHINE, "a stop request waits for the open transaction",
     "if finishing || (stopRequested && !pending.inTransaction)", "if finishing || stopRequested"),
    (MACHINE, "a run stops at its stop position",
     "if let stopAt, end >= stopAt { return finish() }", "if let stopAt, end > stopAt { return finish() }"),
    (MACHINE, "reads wake every 50 ms while a batch applies",
     "return .read(timeout: applying ? min(wait, 0.05) : wait,", "return .read(timeout: wait,"),
    (MACHINE, "the server is asked at most once a second",
     "now.timeIntervalSince(lastStatusRequest) >= 1", "now.timeIntervalSince(lastStatusRequest) >= 0"),
    (MACHINE, "positions are never confirmed backwards",
     "for case let end? in ends where end > appliedThrough {", "for case let end? in ends {"),
    (STATUS, "no idle position inside a transaction",
     "guard !inTransaction, walEnd > reported || idleRequested", "guard walEnd > reported || idleRequested"),
    (STATUS, "the confirmed position never goes back",
     "confirmed = max(confirmed, lsn)", "confirmed = lsn"),
    (STATUS, "only keepalives that ask are answered",
     "let answer = replyRequested ? status(replyRequested: false, now: now) : nil",
     "let answer: Status? = status(replyRequested: false, now: now)"),
    (STATUS, "a status request makes one keepalive idle",
     "idleRequested = false\n        reported = max", "reported = max"),
]


def run(cmd):
    return subprocess.run(cmd, cwd=ROOT, shell=True, capture_output=True, text=True)


def main():
    survived = 0
    for path, rule, code, reverted in MUTATIONS:
        original = path.read_text()
        if code not in original:
            print(f"MISSING   {rule}: the code moved; update scripts/check-cdc-rules.py")
            survived += 1
            continue
        try:
            path.write_text(original.replace(code, reverted, 1))
            build = run("swift build --build-tests 2>&1")
            if build.returncode != 0:
                print(f"NO BUILD  {rule}\n{build.stdout[-2000:]}")
                survived += 1
                continue
            tests = run(f"swift test --skip-build --filter '{TESTS}' 2>&1")
            killed = tests.returncode != 0
            survived += 0 if killed else 1
            print(f"{'KILLED' if killed else 'SURVIVED':9} {rule}", flush=True)
        finally:
            path.write_text(original)
    print(f"{len(MUTATIONS) - survived} of {len(MUTATIONS)} rules pinned by a unit test")
    return 1 if survived else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
