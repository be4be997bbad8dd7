/// One setting's text, taken from the first place that has it (a flag, then the
/// environment, then the config file, then a default), with where it was found: a bad
/// value's message names that place, so a user knows which one to fix.
public struct Setting: Sendable, Equatable {
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        case flag(String)
        case environment(String)
        case file(key: String)
        case fallback

        public var description: String {
            switch self {
            case .flag(let name): name
            case .environment(let name): "env \(name)"
            case .file(let key): "config file key \(key)"
            case .fallback: "default"
            }
        }
    }

    public var text: String
    public var origin: Origin

    public init(_ text: String, from origin: Origin) {
        self.text = text
        self.origin = origin
    }

    /// The first of `flag`, `environment[variable]` and `file` that is set, else `fallback`.
    public static func first(
        flag: (name: String, value: String?), variable: String? = nil, in environment: [String: String] = [:],
        file: (key: String, value: String?)? = nil, fallback: String? = nil
    ) -> Setting? {
        if let value = flag.value { return Setting(value, from: .flag(flag.name)) }
        if let variable, let value = environment[variable] { return Setting(value, from: .environment(variable)) }
        if let file, let value = file.value { return Setting(value, from: .file(key: file.key)) }
        return fallback.map { Setting($0, from: .fallback) }
    }

    /// What `parse` makes of the text; when it makes nothing, an error that quotes the text,
    /// says what is wrong with it (`problem`, e.g. "is not a duration such as 1s") and where
    /// the text came from.
    public func parsed<Value>(_ name: String, _ problem: String, _ parse: (String) -> Value?) throws(SettingError) -> Value {
        guard let value = parse(text) else { throw SettingError("\(name) '\(text)' \(problem) (\(origin))") }
        return value
    }
}

public struct SettingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
