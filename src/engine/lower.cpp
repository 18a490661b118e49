#include "engine/lower.h"

#include <cstring>
#include <functional>
#include <optional>

#include "backend/cpu/conv_1x1.h"
#include "backend/cpu/conv_grouped_3x3.h"
#include "backend/cpu/conv_groups_of_4.h"
#include "backend/cpu/conv_small_groups_avx512.h"
#include "backend/cpu/conv_winograd_3x3.h"
#include "engine/fold.h"
#include "lucid/error.h"

namespace lucid::engine {
namespace {

using backend::cpu::engine;
using backend::cpu::stream;
using backend::cpu::user_scratchpad;
using dnnl::algorithm;
using dnnl::prop_kind;
using Dims = memory::dims;
using Tag = memory::format_tag;
using DataType = memory::data_type;

Dims dims(const Shape& s) { return Dims(s.begin(), s.end()); }

// Copies plain f32 values (dims, layout tag) into a new memory of the layout a primitive chose.
memory reordered_constant(const float* values, const Dims& d, Tag tag, const memory::desc& want) {
  memory plain(memory::desc(d, DataType::f32, tag), engine(), const_cast<float*>(values));
  memory result(want, engine());
  dnnl::reorder(plain, result).execute(stream(), plain, result);
  stream().wait();
  return result;
}

// f32 biases in a plain layout: (n) for convolutions and the classifier, (1, n) for a matmul.
memory bias_memory(const float* values, const memory::desc& desc) {
  memory result(desc, engine());
  std::memcpy(result.get_data_handle(), values, desc.get_size());
  return result;
}

memory bias_memory(const float* values, int64_t n) {
  return bias_memory(values, memory::desc({n}, DataType::f32, Tag::x));
}

template <class PrimitiveDesc, class Make>
std::optional<PrimitiveDesc> try_make(Make&& make) {
  try {
    return make();
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

// Whether `alt`, built for the layouts at hand, runs the kernel oneDNN chose freely: then it
// saves a reorder for nothing. A different kernel (a reference or gemm fallback) is not taken.
template <class PrimitiveDesc>
bool same_kernel(const std::optional<PrimitiveDesc>& alt, const PrimitiveDesc& chosen) {
  return alt && std::strcmp(alt->impl_info_str(), chosen.impl_info_str()) == 0;
}

class Lowering {
 public:
  Lowering(const Graph& graph, DataType type, bool release_weights)
      : graph_(graph), type_(type), release_weights_(release_weights) {}

  Program run() {
    map_.assign(graph_.values.size(), -1);
    map_[0] = add_value(memory::desc(dims(graph_.values[0]), DataType::f32, Tag::nchw), kInputBuffer);
    p_.input = map_[0];
    for (const Node& node : graph_.nodes) {
      switch (node.kind) {
        case Node::Kind::Conv: conv(node); break;
        case Node::Kind::MaxPool:
        case Node::Kind::AvgPool: pool(node); break;
        case Node::Kind::Linear: linear(node); break;
      }
    }
    p_.output = map_[graph_.output];
    return std::move(p_);
  }

 private:
  int add_value(const memory::desc& desc, int buffer) {
    p_.values.push_back({desc, buffer});
    return static_cast<int>(p_.values.size()) - 1;
  }

  int new_value(const memory::desc& desc) {
    p_.buffers.push_back({desc.get_size()});
    return add_value(desc, static_cast<int>(p_.buffers.size()) - 1);
  }

  void add_step(Exec exec) {
    const int t = static_cast<int>(p_.steps.size());
    for (const auto& [_, v] : exec.values) {
      if (p_.values[v].buffer < 0) continue;
      Buffer& b = p_.buffers[p_.values[v].buffer];
      if (b.first < 0) b.first = t;
      b.last = t;
    }
    p_.steps.push_back(std::move(exec));
  }

  // Value v in layout `want`: v itself, or its reorder (made once per value and layout).
  int in_layout(int v, const memory::desc& want, const std::string& consumer, const char* why) {
    if (p_.values[v].desc == want) return v;
    for (const auto& [from, to] : reorders_)
      if (from == v && p_.values[to].desc == want) return to;
    const int r = new_value(want);
    dnnl::reorder::primitive_desc pd(engine(), p_.values[v].desc, engine(), want, user_scratchpad());
    const std::string kind = v == p_.input ? "input" : why;
    add_step(Exec{.name = consumer + " <- " + kind,
                  .kind = "reorder:" + kind,
                  .impl = pd.impl_info_str(),
                  .primitive = dnnl::reorder(pd),
                  .values = {{DNNL_ARG_FROM, v}, {DNNL_ARG_TO, r}},
                  .constants = {},
                  .scratchpad = pd.scratchpad_desc()});
    reorders_.push_back({v, r});
    return r;
  }

  void conv(const Node& node) {
    const int64_t macs = count_macs(node);
    conv_step(node);
    p_.steps.back().macs = macs;
  }

  void conv_step(const Node& node) {
    using dnnl::convolution_forward;
    const nn::Conv2d& c = *node.conv;
    const Shape ws = c.weight.shape();  // a copy: releasing the weight resets its shape
    const auto& o = c.options();
    // lucid's kernels run f32 (blocked_kernel): the 1x1 and Winograd ones where nChw8c is oneDNN's
    // blocking too, the 16-lane one for 4, 8 or 16 channels per group where it is nChw16c
    // (AVX-512), the 8-lane direct grouped ones (no residual) where prefer_lucid_grouped says.
    const bool f32 = type_ == DataType::f32, blocked_8 = backend::cpu::blocked_nchw() == Tag::nChw8c;
    const Shape& x = graph_.values[node.src];
    if (f32 && blocked_8 && backend::cpu::conv_1x1_supported(ws, o) && backend::cpu::conv_1x1_preferred(x, o.stride[0]))
      return conv_1x1(node);
    if (f32 && prefer_matmul_1x1(x, ws, o) && p_.values[map_[node.src]].desc == memory::desc(dims(x), type_, Tag::nhwc))
      return conv_as_matmul(node);
    if (f32 && node.residual < 0) {
      if (backend::cpu::winograd_3x3_supported(ws, o)) {
        if (blocked_8) return winograd_3x3(node, Blockings::any);
        if (prefer_winograd_on_nhwc(x, ws[1])) return winograd_3x3(node, Blockings::any);
        if (prefer_winograd_between_reorders(x, ws[1])) return winograd_3x3(node, Blockings::nChw8c);
      }
      if (!blocked_8 && backend::cpu::small_groups_16_supported(ws, o)) return small_groups_16(node);
      if (prefer_lucid_grouped(backend::cpu::blocked_nchw(), ws[1])) {
        if (backend::cpu::groups_of_4_supported(ws, o)) return groups_of_4(node);
        if (backend::cpu::grouped_3x3_supported(ws, o)) return grouped_3x3(node);
      }
    }
    const int64_t g = o.groups;
    // torch's (OC, C/G, KH, KW) is, byte for byte, oneDNN's grouped (G, OC/G, C/G, KH, KW).
    const Dims w_dims = g == 1 ? Dims{ws[0], ws[1], ws[2], ws[3]} : Dims{g, ws[0] / g, ws[1], ws[2], ws[3]};
    const Dims strides{o.stride[0], o.stride[1]}, padding{o.padding[0], o.padding[1]};
    const Dims dilates{o.dilation[0] - 1, o.dilation[1] - 1};  // oneDNN counts the gaps: 0 = dense

    const dnnl::primitive_attr attr = fused_attr(node);
    auto make = [&](const memory::desc& src, const memory::desc& dst) {
      // Direct, not auto: auto may pick oneDNN's Winograd, F(4x4, 3x3), whose transforms lose more
      // precision than the F(2x2, 3x3) of conv_winograd_3x3.h.
      convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct, src,
                                     memory::desc(w_dims, type_, Tag::any), memory::desc({ws[0]}, DataType::f32, Tag::x),
                                     dst, strides, dilates, padding, padding);
      return convolution_forward::primitive_desc(desc, attr, engine());
    };
    using Pd = convolution_forward::primitive_desc;
    const memory::desc src_any(dims(x), type_, Tag::any);
    memory::desc dst_want(dims(graph_.values[node.dst]), type_, Tag::any);
    Pd pd = make(src_any, dst_want);
    // Prefer the layouts at hand when the same kernel takes them: each saves a reorder per run.
    if (node.residual >= 0 && pd.dst_desc() != p_.values[map_[node.residual]].desc) {
      const memory::desc& have = p_.values[map_[node.residual]].desc;
      auto alt = try_make<Pd>([&] { return make(src_any, have); });
      if (same_kernel(alt, pd)) pd = *alt, dst_want = have;
    }
    const memory::desc& have_src = p_.values[map_[node.src]].desc;
    if (pd.src_desc() != have_src) {
      auto alt = try_make<Pd>([&] { return make(have_src, dst_want); });
      if (same_kernel(alt, pd)) pd = *alt;
    }

    const FoldedConv folded = folded_weights(node);
    memory weights = reordered_constant(folded.weight.data(), w_dims, g == 1 ? Tag::oihw : Tag::goihw, pd.weights_desc());
    memory bias = bias_memory(folded.bias.data(), ws[0]);
    p_.weight_bytes += pd.weights_desc().get_size() + bias.get_desc().get_size();
    const auto [src, dst] = conv_operands(node, pd.src_desc(), pd.dst_desc());
    add_step(Exec{.name = node.name,
                  .kind = conv_kind(node),
                  .impl = pd.impl_info_str(),
                  .primitive = convolution_forward(pd),
                  .values = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
                  .constants = {{DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}},
                  .scratchpad = pd.scratchpad_desc()});
  }

  // A 1x1 convolution of stride 1 on nhwc activations, as one oneDNN matmul over all the batch's
  // pixels: (n h w, c) x (c, oc), the same post-ops (prefer_matmul_1x1 says where).
  void conv_as_matmul(const Node& node) {
    const Shape& xs = graph_.values[node.src];
    const int64_t rows = xs[0] * xs[2] * xs[3], in = xs[1], out = graph_.values[node.dst][1];
    const memory::desc src_rows({rows, in}, type_, Tag::ab), dst_rows({rows, out}, type_, Tag::ab);
    const memory::desc bias_desc({1, out}, DataType::f32, Tag::ab);
    const dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc(src_rows, memory::desc({in, out}, type_, Tag::any), bias_desc, dst_rows), fused_attr(node),
        engine());
    const FoldedConv folded = folded_weights(node);
    // torch's (oc, c, 1, 1) weight is the (c, oc) matrix stored column by column.
    memory weights = reordered_constant(folded.weight.data(), {in, out}, Tag::ba, pd.weights_desc());
    memory bias = bias_memory(folded.bias.data(), bias_desc);
    p_.weight_bytes += pd.weights_desc().get_size() + bias_desc.get_size();
    auto nhwc = [&](int v) { return memory::desc(dims(graph_.values[v]), type_, Tag::nhwc); };
    const auto [src, dst] = conv_operands(node, nhwc(node.src), nhwc(node.dst));
    add_step(Exec{.name = node.name,
                  .kind = conv_kind(node),
                  .impl = std::string("matmul:") + pd.impl_info_str(),
                  .primitive = {},
                  .values = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
                  .constants = {{DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}},
                  .scratchpad = pd.scratchpad_desc(),
                  // The plan binds (n, c, h, w) nhwc values; the matmul reads the same bytes as rows.
                  .kernel = [matmul = dnnl::matmul(pd), src_rows, dst_rows](const backend::cpu::Args& args) {
                    backend::cpu::Args rows_args = args;
                    rows_args[DNNL_ARG_SRC] = memory(src_rows, engine(), args.at(DNNL_ARG_SRC).get_data_handle());
                    rows_args[DNNL_ARG_DST] = memory(dst_rows, engine(), args.at(DNNL_ARG_DST).get_data_handle());
                    matmul.execute(stream(), rows_args);
                  }});
  }

  // ReLU and the residual add fused as post-ops (dst already holds the identity), with the
  // scratchpad the plan provides.
  static dnnl::primitive_attr fused_attr(const Node& node) {
    dnnl::post_ops post;
    if (node.residual >= 0) post.append_sum(1.0f);
    if (node.relu) post.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr attr = user_scratchpad();
    attr.set_post_ops(post);
    return attr;
  }

  static std::string conv_kind(const Node& node) {
    return std::string("conv") + (node.residual >= 0 ? "+sum" : "") + (node.relu ? "+relu" : "");
  }

  // A conv's input in layout `src` (reordered if it comes in another) and its output value in
  // layout `dst`: with a residual, written in place over the identity, whose last use this is.
  std::pair<int, int> conv_operands(const Node& node, const memory::desc& src, const memory::desc& dst) {
    const int from = in_layout(map_[node.src], src, node.name, "activation");
    int to;
    if (node.residual >= 0) {
      const int identity = in_layout(map_[node.residual], dst, node.name, "residual");
      to = add_value(dst, p_.values[identity].buffer);
    } else {
      to = new_value(dst);
    }
    map_[node.dst] = to;
    return {from, to};
  }

  // The conv's weights and bias with its BN folded in. When compiling consumes the model, the
  // model's copy is freed here (the handle is shared).
  FoldedConv folded_weights(const Node& node) {
    FoldedConv folded = fold_batch_norm(*node.conv, *node.bn);
    if (release_weights_) Tensor(node.conv->weight).release();
    return folded;
  }

  // Before folded_weights: a released weight's shape is {0}.
  int64_t count_macs(const Node& node) {
    const Shape& ws = node.conv->weight.shape();
    const int64_t macs = numel(graph_.values[node.dst]) * ws[1] * ws[2] * ws[3];
    p_.macs += macs;
    return macs;
  }

  // Which channel blockings (channel_blocks.h) a lucid kernel reads and writes.
  enum class Blockings {
    nChw8c,  // the 1x1 kernel
    any,     // nChw8c, nChw16c or nhwc: the 8-lane grouped kernels
    wide,    // nChw16c or nhwc: the 16-lane one
  };

  // A step on one of lucid's kernels: pack(folded) packs the conv's folded weights once (into a
  // struct with `packed` and `bias`), run(conv, src, dst, n, h, w, lanes) runs it.
  template <class Pack, class Run>
  void lucid_kernel(const Node& node, const char* impl, Blockings accepts, Pack pack, Run run) {
    const FoldedConv folded = folded_weights(node);
    auto conv = std::make_shared<const decltype(pack(folded))>(pack(folded));
    p_.weight_bytes += (float_count(conv->packed) + conv->bias.size()) * sizeof(float);
    const Shape& x = graph_.values[node.src];
    blocked_kernel(
        node, impl,
        [conv, run, n = x[0], h = x[2], w = x[3]](const float* src, float* dst, int64_t lanes) {
          run(*conv, src, dst, n, h, w, lanes);
        },
        accepts);
  }
  static size_t float_count(const Tensor& t) { return size_t(t.numel()); }
  static size_t float_count(const std::vector<float>& v) { return v.size(); }

  // The grouped 3x3 with 4 channels per group, by lucid's 8-lane kernel (conv_groups_of_4.h).
  void groups_of_4(const Node& node) {
    lucid_kernel(
        node, "lucid:groups_of_4:avx2", Blockings::any,
        [&](const FoldedConv& f) {
          return backend::cpu::pack_groups_of_4(f.weight.data(), f.bias.data(), int64_t(f.bias.size()), node.relu);
        },
        backend::cpu::run_groups_of_4);
  }

  // A grouped 3x3 with 4, 8 or 16 channels per group on an AVX-512 machine, by lucid's 16-lane
  // kernel (conv_small_groups_avx512.h).
  void small_groups_16(const Node& node) {
    lucid_kernel(
        node, "lucid:small_groups:avx512", Blockings::wide,
        [&](const FoldedConv& f) {
          const int64_t channels = int64_t(f.bias.size());
          const auto& o = node.conv->options();
          return backend::cpu::pack_small_groups_16(f.weight.data(), f.bias.data(), channels, channels / o.groups,
                                                    o.stride[0], node.relu);
        },
        backend::cpu::run_small_groups_16);
  }

  // A grouped 3x3 whose groups hold whole 8-channel blocks, by lucid's kernel (conv_grouped_3x3.h).
  void grouped_3x3(const Node& node) {
    const auto& o = node.conv->options();
    lucid_kernel(
        node, "lucid:grouped_3x3:avx2", Blockings::any,
        [&](const FoldedConv& f) {
          return backend::cpu::pack_grouped_3x3(f.weight.data(), f.bias.data(), int64_t(f.bias.size()), o.groups,
                                                o.stride[0], node.relu);
        },
        backend::cpu::run_grouped_3x3);
  }

  // A grouped 3x3, stride 1, with 16 or more channels per group, by Winograd's F(2x2, 3x3)
  // (conv_winograd_3x3.h), on the blockings given.
  void winograd_3x3(const Node& node, Blockings accepts) {
    lucid_kernel(
        node, backend::cpu::cpu_has_avx512f() ? "lucid:winograd_3x3:avx512" : "lucid:winograd_3x3:avx2", accepts,
        [&](const FoldedConv& f) {
          return backend::cpu::pack_winograd_3x3(f.weight.data(), f.bias.data(), int64_t(f.bias.size()),
                                                 node.conv->options().groups, node.relu);
        },
        backend::cpu::run_winograd_3x3);
  }

  // A 1x1 convolution onto a small map at batch 1, by lucid's kernel (conv_1x1.h).
  void conv_1x1(const Node& node) {
    lucid_kernel(
        node, "lucid:conv_1x1:avx2", Blockings::nChw8c,
        [&](const FoldedConv& f) {
          const int64_t out = int64_t(f.bias.size()), in = int64_t(f.weight.size()) / out;
          return backend::cpu::pack_conv_1x1(f.weight.data(), f.bias.data(), out, in, node.relu, node.residual >= 0,
                                             node.conv->options().stride[0]);
        },
        [](const backend::cpu::Conv1x1& conv, const float* src, float* dst, int64_t n, int64_t h, int64_t w,
           int64_t) { backend::cpu::run_conv_1x1(conv, src, dst, n, h, w); });
  }

  // A step that runs one of lucid's kernels on f32 activations. It takes the layout its input
  // comes in where it can (on AVX-512 machines oneDNN's brgconv kernels leave nhwc), so that no
  // reorder runs around it; else nChw8c, or nChw16c for a 16-lane kernel. run(src, dst, lanes):
  // lanes, the channels per block (8, 16, or all for nhwc). With a residual the kernel adds into
  // dst, which holds the identity: written in place, as oneDNN's sum post-op.
  void blocked_kernel(const Node& node, const char* impl,
                      std::function<void(const float*, float*, int64_t lanes)> run, Blockings accepts) {
    const Shape& xs = graph_.values[node.src];
    const memory::desc& have = p_.values[map_[node.src]].desc;
    Tag tag = accepts == Blockings::wide ? Tag::nChw16c : Tag::nChw8c;
    if (accepts != Blockings::nChw8c)
      for (Tag other : {Tag::nChw8c, Tag::nChw16c, Tag::nhwc})
        if (have == memory::desc(dims(xs), DataType::f32, other) && !(accepts == Blockings::wide && other == Tag::nChw8c))
          tag = other;
    const int64_t lanes = tag == Tag::nChw8c ? 8 : tag == Tag::nChw16c ? 16 : xs[1];
    auto blocked = [&](int v) { return memory::desc(dims(graph_.values[v]), DataType::f32, tag); };
    const auto [src, dst] = conv_operands(node, blocked(node.src), blocked(node.dst));
    add_step(Exec{.name = node.name,
                  .kind = conv_kind(node),
                  .impl = impl,
                  .primitive = {},
                  .values = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
                  .constants = {},
                  .scratchpad = {},
                  .kernel = [run = std::move(run), lanes](const backend::cpu::Args& args) {
                    run(static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle()),
                        static_cast<float*>(args.at(DNNL_ARG_DST).get_data_handle()), lanes);
                  }});
  }

  // Pools take their input's layout as it is: oneDNN's jit pooling runs on any blocking.
  void pool(const Node& node) {
    using dnnl::pooling_forward;
    const bool max = node.kind == Node::Kind::MaxPool;
    const int src = map_[node.src];
    const memory::desc dst_any(dims(graph_.values[node.dst]), type_, Tag::any);
    pooling_forward::desc desc(prop_kind::forward_inference,
                               max ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding,
                               p_.values[src].desc, dst_any, {node.stride[0], node.stride[1]},
                               {node.kernel[0], node.kernel[1]}, {node.padding[0], node.padding[1]},
                               {node.padding[0], node.padding[1]});
    pooling_forward::primitive_desc pd(desc, user_scratchpad(), engine());
    const int dst = new_value(pd.dst_desc());
    map_[node.dst] = dst;
    add_step(Exec{.name = node.name,
                  .kind = max ? "max_pool" : "avg_pool",
                  .impl = pd.impl_info_str(),
                  .primitive = pooling_forward(pd),
                  .values = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
                  .constants = {},
                  .scratchpad = pd.scratchpad_desc()});
  }

  // The classifier reads the pooled (N, C, 1, 1) map in its layout, with weights (O, C, 1, 1)
  // blocked to match; logits are plain f32 (N, O).
  void linear(const Node& node) {
    using dnnl::inner_product_forward;
    using Pd = inner_product_forward::primitive_desc;
    const nn::Linear& fc = *node.linear;
    const Shape& xs = graph_.values[node.src];
    const int64_t out = fc.weight.size(0);
    const Dims w_dims{out, xs[1], xs[2], xs[3]};
    const memory::desc w_any(w_dims, type_, Tag::any), bias_desc({out}, DataType::f32, Tag::x);
    const memory::desc dst_desc({xs[0], out}, DataType::f32, Tag::nc);
    auto make = [&](const memory::desc& src) {
      const auto desc = fc.bias.defined()
                            ? inner_product_forward::desc(prop_kind::forward_inference, src, w_any, bias_desc, dst_desc)
                            : inner_product_forward::desc(prop_kind::forward_inference, src, w_any, dst_desc);
      return Pd(desc, user_scratchpad(), engine());
    };
    Pd pd = make(memory::desc(dims(xs), type_, Tag::any));
    const memory::desc& have_src = p_.values[map_[node.src]].desc;
    if (pd.src_desc() != have_src) {
      auto alt = try_make<Pd>([&] { return make(have_src); });
      if (same_kernel(alt, pd)) pd = *alt;
    }
    const int src = in_layout(map_[node.src], pd.src_desc(), node.name, "activation");
    Exec exec{.name = node.name,
              .kind = "inner_product",
              .impl = pd.impl_info_str(),
              .primitive = inner_product_forward(pd),
              .values = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, add_value(dst_desc, kOutputBuffer)}},
              .constants = {{DNNL_ARG_WEIGHTS,
                             reordered_constant(fc.weight.data<float>(), w_dims, Tag::oihw, pd.weights_desc())}},
              .scratchpad = pd.scratchpad_desc()};
    p_.weight_bytes += pd.weights_desc().get_size();
    if (fc.bias.defined()) {
      exec.constants.emplace_back(DNNL_ARG_BIAS, bias_memory(fc.bias.data<float>(), out));
      p_.weight_bytes += bias_desc.get_size();
    }
    if (release_weights_) Tensor(fc.weight).release();
    map_[node.dst] = exec.values[1].second;
    exec.macs = xs[0] * out * xs[1] * xs[2] * xs[3];
    p_.macs += exec.macs;
    add_step(std::move(exec));
  }

  const Graph& graph_;
  DataType type_;
  bool release_weights_;
  Program p_;
  std::vector<int> map_;                     // graph value -> program value
  std::vector<std::pair<int, int>> reorders_;  // (value, its reorder) made so far
};

}  // namespace

bool prefer_lucid_grouped(memory::format_tag blocked, int64_t group_channels) {
  return blocked == Tag::nChw8c || group_channels <= 8;
}

bool prefer_winograd_between_reorders(const Shape& input, int64_t group_channels) {
  return group_channels == 64 && input[0] > 1 && input[2] >= 14 && input[3] >= 14;
}

bool prefer_winograd_on_nhwc(const Shape& input, int64_t group_channels) {
  return group_channels >= 128 && input[2] >= 14 && input[3] >= 14;
}

bool prefer_matmul_1x1(const Shape& input, const Shape& weight, const ops::Conv2dOptions& o) {
  return o.groups == 1 && weight[2] == 1 && weight[3] == 1 && o.stride == ops::Pair{1, 1} &&
         o.padding == ops::Pair{0, 0} && o.dilation == ops::Pair{1, 1} && input[0] >= 2 && input[2] * input[3] <= 49;
}

Program lower(const Graph& graph, memory::data_type type, bool release_weights) {
  return Lowering(graph, type, release_weights).run();
}

}  // namespace lucid::engine
