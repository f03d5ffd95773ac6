import FerryConfig
import Testing

/// The one "did you mean" rule, shared by config keys and the CLI's `--table`: close names only.
@Suite struct SuggestionTests {
    @Test func aCloseNameIsSuggested() {
        #expect(Suggestion.closest(to: "event", in: ["public.events", "events", "tags"]) == "events")
        #expect(Suggestion.closest(to: "SYNC_MOD", in: ["sync_mode", "strategy"]) == "sync_mode")
    }

    @Test func aFarOffNameGetsNoSuggestion() {
        #expect(Suggestion.closest(to: "invoices", in: ["events", "tags"]) == nil)
        #expect(Suggestion.closest(to: String(repeating: "e", count: 100_000), in: ["events", "tags"]) == nil)
    }
}
