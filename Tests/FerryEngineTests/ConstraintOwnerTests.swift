import FerryCore
import Testing

@testable import FerryEngine

/// Which of a run's tables a constraint the destination could not restore belongs to: the destination names it
/// `schema.name`, the config may leave the schema out.
@Suite struct ConstraintOwnerTests {
    @Test func aQualifiedLabelMatchesTheSameTargetWithOrWithoutSchema() {
        #expect(Engine.names("public.children", TableName(schema: "public", name: "children")))
        #expect(Engine.names("public.children", TableName(name: "children")))
        #expect(Engine.names("app.children", TableName(name: "children")))
    }

    @Test func anotherSchemaOrNameDoesNotMatch() {
        #expect(!Engine.names("app.children", TableName(schema: "public", name: "children")))
        #expect(!Engine.names("public.children", TableName(name: "kids")))
        #expect(!Engine.names("public.xchildren", TableName(name: "children")))
    }
}
