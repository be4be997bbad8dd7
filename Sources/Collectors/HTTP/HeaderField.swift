/// One header the user asked to send with every request to a source (`--prometheus-header`).
/// Its value may be a tenant's name or a credential: `description` shows the name only, so
/// the value cannot reach a log, a message or the terminal by accident.
public struct HeaderField: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(ControlBytes.sanitize(name)): …" }
}
