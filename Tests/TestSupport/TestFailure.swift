/// Why a test helper could not do its part (a server that did not start, a binary not built).
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
