/// Which metrics profile the Traffic data comes from, how it was chosen, and whether its
/// series are in Prometheus at all.
public struct ProfileStatus: Sendable, Equatable {
    public var choice: MetricsProfile.Choice
    /// The profile asked; nil while auto has not found either profile's series (or not asked yet).
    public var active: MetricsProfile.Name?
    /// Set when Prometheus has no series of the profile (auto: of either profile): one line
    /// saying which metric is missing beats an empty table.
    public var noSeries: String?

    public init(choice: MetricsProfile.Choice, active: MetricsProfile.Name? = nil, noSeries: String? = nil) {
        self.choice = choice
        self.active = active ?? choice.fixed
        self.noSeries = noSeries
    }

    /// "envoy (auto)", "istio", or "auto" before auto has chosen.
    public var label: String {
        guard let active else { return "auto" }
        return choice == .auto ? "\(active.rawValue) (auto)" : active.rawValue
    }
}
