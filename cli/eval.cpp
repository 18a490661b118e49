// lucid eval: top-1 / top-5 accuracy of a weights file or training checkpoint on a data set's
// test split.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "lucid/data/loader.h"
#include "lucid/error.h"
#include "lucid/models/weights.h"
#include "lucid/ops.h"
#include "lucid/train/trainer.h"

namespace lucid::cli {
namespace {

struct Options {
  std::string weights, model, data = "fashion-mnist";
  int64_t batch = 256, workers = 2, image_size = 0;
  int threads = 0;
  bool json = false;
};

void run(const Options& o) {
  ops::set_num_threads(o.threads);
  data::Transform transform;
  if (o.image_size > 0) transform.size = o.image_size;
  auto dataset = data::open_dataset(o.data, data::Split::Test, transform);
  auto model = models::load_model(o.weights, o.model);
  const int64_t channels = dataset->sample_shape().at(0);
  if (model->options().in_channels != channels)
    throw ValueError("eval", cat(o.weights, " takes ", model->options().in_channels, "-channel images, the data has ",
                                 channels));
  if (dataset->num_classes() > model->num_classes())
    throw ValueError("eval", cat("the data has ", dataset->num_classes(), " classes, the model ",
                                 model->num_classes()));
  data::DataLoader loader(dataset, {.batch = o.batch, .shuffle = false, .drop_last = false, .workers = o.workers});
  const train::EvalResult r = train::evaluate(*model, loader);
  if (o.json) {
    std::printf("%s\n", nlohmann::json{{"images", r.images}, {"top1", r.top1}, {"top5", r.top5}, {"loss", r.loss}}
                            .dump()
                            .c_str());
    return;
  }
  std::printf("%s on %s (%lld images): top-1 %.2f%%, top-5 %.2f%%, loss %.4f\n", o.weights.c_str(), o.data.c_str(),
              (long long)r.images, 100 * r.top1, 100 * r.top5, r.loss);
}

}  // namespace

void add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Top-1 / top-5 accuracy on a data set's test split");
  auto o = std::make_shared<Options>();
  cmd->add_option("--weights", o->weights, "Weights (.safetensors, .pth) or a training checkpoint")->required();
  cmd->add_option("--model", o->model, "Model name (default: read off the weights)");
  cmd->add_option("--data", o->data, "fashion-mnist, mnist:DIR, fashion-mnist:DIR, or a folder with test/")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch)->capture_default_str()->check(positive());
  cmd->add_option("--workers", o->workers, "Data loading threads")->capture_default_str()->check(worker_count());
  cmd->add_option("--threads", o->threads, "Compute threads (0: all cores)")->capture_default_str()->check(thread_count());
  cmd->add_option("--image-size", o->image_size, "Image folders: side of the center crop (default 224)");
  cmd->add_flag("--json", o->json, "Print {images, top1, top5, loss} as JSON");
  cmd->callback([o] { run(*o); });
}

}  // namespace lucid::cli
