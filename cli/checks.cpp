// Number checks for options. CLI11 2.1's own PositiveNumber and NonNegativeNumber report
// "Value 0 not in range 0.000000 to 17976931348623157..."; these name the rule that was broken.
#include <string>

#include "commands.h"
#include "lucid/data/loader.h"
#include "lucid/ops.h"

namespace lucid::cli {

static CLI::Validator number_check(const char* name, bool (*ok)(double), const char* rule) {
  return CLI::Validator(
      [ok, rule](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        return ok(value) ? std::string() : "must be " + std::string(rule) + ", got " + text;
      },
      name);
}

CLI::Validator positive() {
  return number_check("POSITIVE", [](double v) { return v > 0; }, "positive");
}

CLI::Validator non_negative() {
  return number_check("NONNEGATIVE", [](double v) { return v >= 0; }, "0 or more");
}

CLI::Validator thread_count() {
  static const std::string rule = "0 (all cores) to " + std::to_string(ops::kMaxThreads);
  return number_check("THREADS", [](double v) { return v >= 0 && v <= ops::kMaxThreads; }, rule.c_str());
}

CLI::Validator worker_count() {
  static const std::string rule = "0 (load on the main thread) to " + std::to_string(data::kMaxWorkers);
  return number_check("WORKERS", [](double v) { return v >= 0 && v <= data::kMaxWorkers; }, rule.c_str());
}

}  // namespace lucid::cli
