import Collectors
import Testing

/// A setting from the first place that has it, and the place named when it is bad.
@Suite struct SettingTests {
    @Test func theFlagThenTheEnvironmentThenTheFileThenTheDefault() {
        let environment = ["MESHTOP_X": "from env"]
        #expect(
            Setting.first(flag: ("--x", "from flag"), variable: "MESHTOP_X", in: environment, file: ("x", "from file"))
                == Setting("from flag", from: .flag("--x")))
        #expect(
            Setting.first(flag: ("--x", nil), variable: "MESHTOP_X", in: environment, file: ("x", "from file"))
                == Setting("from env", from: .environment("MESHTOP_X")))
        #expect(
            Setting.first(flag: ("--x", nil), variable: "MESHTOP_X", in: [:], file: ("x", "from file"), fallback: "1s")
                == Setting("from file", from: .file(key: "x")))
        #expect(Setting.first(flag: ("--x", nil), variable: "MESHTOP_X", in: [:], file: ("x", nil), fallback: "1s") == Setting("1s", from: .fallback))
        #expect(Setting.first(flag: ("--x", nil), variable: "MESHTOP_X", in: [:]) == nil)
    }

    @Test func aBadValueSaysWhereItCameFrom() throws {
        let good = try Setting("42", from: .environment("PORT")).parsed("port", "is not a number", Int.init)
        #expect(good == 42)
        #expect {
            try Setting("fast", from: .file(key: "interval")).parsed("interval", "is not a duration such as 1s", DurationText.parse)
        } throws: { error in
            "\(error)" == "interval 'fast' is not a duration such as 1s (config file key interval)"
        }
    }
}
