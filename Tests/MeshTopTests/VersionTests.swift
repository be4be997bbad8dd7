import Testing

@testable import MeshTop

@Suite struct VersionTests {
    @Test func versionNamesTheLinkedLibraries() {
        let text = MeshTop.versionText
        #expect(text.hasPrefix("meshtop \(MeshTop.version) "))
        #expect(text.contains("libcurl 7.") || text.contains("libcurl 8."))
        #expect(text.contains("ncurses 6."))
    }
}
