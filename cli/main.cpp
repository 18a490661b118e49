// lucid: list | summary | forward | convert | classify | bench | train | eval. Errors are one line on stderr; exit 2 for usage, 1 for runtime.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

#include "commands.h"

namespace lucid::cli {

void add_model_options(CLI::App& cmd, models::ModelOptions& options) {
  cmd.add_option("--num-classes", options.num_classes, "Classes of the classifier")->check(positive());
  cmd.add_option("--in-channels", options.in_channels, "Channels of the input image")->check(positive());
}

}  // namespace lucid::cli

// Training shares two cores between the compute threads and the data loader's; OpenMP threads
// that spin while they wait (libgomp's default) then take the cores the others need: 1.5-2.5x
// slower here. libgomp reads OMP_WAIT_POLICY once, as it loads, before main: so `lucid train`
// sets it and runs itself again, unless the user chose a policy.
static void prefer_passive_waiting(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "train") != 0 || std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

int main(int argc, char** argv) {
  prefer_passive_waiting(argc, argv);
  CLI::App app{"lucid: the ResNeXt family in C++"};
  app.require_subcommand(1);
  lucid::cli::add_list(app);
  lucid::cli::add_summary(app);
  lucid::cli::add_forward(app);
  lucid::cli::add_convert(app);
  lucid::cli::add_classify(app);
  lucid::cli::add_bench(app);
  lucid::cli::add_train(app);
  lucid::cli::add_eval(app);
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lucid: %s\n", e.what());
    return 2;
  } catch (const lucid::cli::UsageError& e) {
    std::fprintf(stderr, "lucid: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "lucid: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lucid: %s\n", e.what());
    return 1;
  }
}
