import Foundation

/// The executables SwiftPM built next to the test bundle, for tests that run them as a user does.
public enum BuiltBinary {
    public static func url(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }
}
