// Mlp/Gan persistence over safetensors (see model_io.h).
#include "core/model_io.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/json.h"
#include "core/safetensors.h"

namespace reckit {
namespace {

constexpr const char* kMlpKind = "Mlp";
constexpr const char* kGanKind = "Gan";

// Shortest text that reads back as the same float.
std::string float_text(float v) {
  char buf[32];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(v));
    if (static_cast<float>(std::strtod(buf, nullptr)) == v) break;
  }
  return buf;
}

std::string layers_json(const std::vector<LayerSpec>& layers) {
  std::string s = "[";
  for (size_t i = 0; i < layers.size(); ++i) {
    s += (i ? "," : "") + std::string("{\"units\":") + std::to_string(layers[i].units) +
         ",\"activation\":" + json::quote(activation_name(layers[i].activation)) +
         ",\"alpha\":" + float_text(layers[i].slope) + "}";
  }
  return s + "]";
}

std::string spans_json(const std::vector<OutputSpan>& spans) {
  std::string s = "[";
  for (size_t i = 0; i < spans.size(); ++i) {
    s += (i ? "," : "") + std::string("{\"kind\":") + json::quote(span_kind_name(spans[i].kind)) +
         ",\"start\":" + std::to_string(spans[i].start) + ",\"width\":" + std::to_string(spans[i].width) + "}";
  }
  return s + "]";
}

std::string links_json(const std::vector<ConditionLink>& links) {
  std::string s = "[";
  for (size_t i = 0; i < links.size(); ++i) {
    s += (i ? "," : "") + std::string("{\"conditionStart\":") + std::to_string(links[i].condition_start) +
         ",\"dataStart\":" + std::to_string(links[i].data_start) + ",\"width\":" + std::to_string(links[i].width) + "}";
  }
  return s + "]";
}

[[noreturn]] void corrupt(const std::string& message) { fail(ErrorCode::CorruptFile, message); }

const json::Value& member(const json::Value& object, const char* key, const char* what) {
  if (object.type != json::Value::Type::Object) corrupt(std::string(what) + " is not a JSON object");
  const json::Value* v = object.find(key);
  if (!v) corrupt(std::string(what) + " lacks '" + key + "'");
  return *v;
}

uint64_t unsigned_member(const json::Value& object, const char* key, const char* what, uint64_t max) {
  const json::Value& v = member(object, key, what);
  if (v.type != json::Value::Type::Number || !v.integral || v.number < 0 || v.integer > max) {
    corrupt(std::string(what) + "." + key + " is not a valid count");
  }
  return v.integer;
}

std::vector<LayerSpec> parse_layers(const json::Value& v, const char* what) {
  if (v.type != json::Value::Type::Array) corrupt(std::string(what) + " is not an array");
  std::vector<LayerSpec> layers;
  for (const json::Value& item : v.array) {
    LayerSpec s;
    s.units = static_cast<size_t>(unsigned_member(item, "units", what, kMaxUnits));
    const json::Value& act = member(item, "activation", what);
    if (act.type != json::Value::Type::String) corrupt(std::string(what) + " has a non-string activation");
    try {
      s.activation = activation_from_name(act.string);
    } catch (const Error&) {
      corrupt(std::string(what) + " has an unknown activation '" + act.string + "'");
    }
    const json::Value& alpha = member(item, "alpha", what);
    if (alpha.type != json::Value::Type::Number) corrupt(std::string(what) + " has a non-numeric alpha");
    s.slope = static_cast<float>(alpha.number);
    layers.push_back(s);
  }
  return layers;
}

uint64_t parse_u64(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 20) corrupt(std::string(what) + " is not a number");
  uint64_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') corrupt(std::string(what) + " is not a number");
    const uint64_t next = v * 10 + static_cast<uint64_t>(ch - '0');
    if (next / 10 != v) corrupt(std::string(what) + " overflows");
    v = next;
  }
  return v;
}

json::Value parse_config(const st::File& file, const char* key) {
  const std::string& text = file.metadata(key);
  return json::parse(text.data(), text.size(), key);
}

void require_kind(const st::File& file, const char* kind) {
  file.require_checksum();
  const std::string& actual = file.metadata(st::kKindKey);
  if (actual != kind) corrupt(std::string("the file holds a ") + actual + ", not a " + kind);
}

// Adds the tensors of `mlp` under `prefix` and its optimizer counters to the metadata.
void add_mlp(st::Writer& w, const Mlp& mlp, const std::string& prefix) {
  for (size_t l = 0; l < mlp.layers().size(); ++l) {
    const uint64_t in = mlp.layer_in(l), out = mlp.layers()[l].units;
    const std::string base = prefix + "layers." + std::to_string(l);
    w.add(base + ".weight", st::DType::F32, {in, out}, mlp.parameters() + mlp.weight_offset(l));
    w.add(base + ".bias", st::DType::F32, {out}, mlp.parameters() + mlp.bias_offset(l));
  }
  const uint64_t count = mlp.parameter_count();
  if (!mlp.adam_m().empty()) {
    w.add(prefix + "optimizer.adam_m", st::DType::F32, {count}, mlp.adam_m().data());
    w.add(prefix + "optimizer.adam_v", st::DType::F32, {count}, mlp.adam_v().data());
  }
  if (!mlp.velocity().empty()) w.add(prefix + "optimizer.velocity", st::DType::F32, {count}, mlp.velocity().data());
  w.set_metadata(prefix + "optimizer.adam_steps", std::to_string(mlp.adam_steps()));
}

void copy_tensor(const st::Tensor& t, float* out) { std::memcpy(out, t.data, t.bytes); }

// Builds an Mlp of the given shape and fills it (parameters and optimizer state) from the file.
std::unique_ptr<Mlp> read_mlp(const st::File& file, const std::string& prefix, size_t input,
                              const std::vector<LayerSpec>& layers) {
  std::unique_ptr<Mlp> mlp;
  try {
    mlp = std::make_unique<Mlp>(input, layers, 0);
  } catch (const Error& e) {
    corrupt(std::string("the file describes an invalid network: ") + e.what());
  }
  for (size_t l = 0; l < layers.size(); ++l) {
    const uint64_t in = mlp->layer_in(l), out = layers[l].units;
    const std::string base = prefix + "layers." + std::to_string(l);
    copy_tensor(file.tensor(base + ".weight", st::DType::F32, {in, out}), mlp->parameters() + mlp->weight_offset(l));
    copy_tensor(file.tensor(base + ".bias", st::DType::F32, {out}), mlp->parameters() + mlp->bias_offset(l));
  }
  const uint64_t count = mlp->parameter_count();
  for (size_t i = 0; i < count; ++i) {
    if (!std::isfinite(mlp->parameters()[i])) corrupt("parameter " + std::to_string(i) + " of " + prefix + "is not finite");
  }
  const bool has_m = file.has(prefix + "optimizer.adam_m"), has_v = file.has(prefix + "optimizer.adam_v");
  if (has_m != has_v) corrupt("the file holds only one of the Adam moments");
  if (has_m) {
    mlp->adam_m().resize(count);
    mlp->adam_v().resize(count);
    copy_tensor(file.tensor(prefix + "optimizer.adam_m", st::DType::F32, {count}), mlp->adam_m().data());
    copy_tensor(file.tensor(prefix + "optimizer.adam_v", st::DType::F32, {count}), mlp->adam_v().data());
  }
  if (file.has(prefix + "optimizer.velocity")) {
    mlp->velocity().resize(count);
    copy_tensor(file.tensor(prefix + "optimizer.velocity", st::DType::F32, {count}), mlp->velocity().data());
  }
  mlp->set_adam_steps(parse_u64(file.metadata(prefix + "optimizer.adam_steps"), "adam_steps"));
  return mlp;
}

st::Writer mlp_writer(const Mlp& mlp) {
  st::Writer w;
  w.set_metadata(st::kKindKey, kMlpKind);
  w.set_metadata("mlp.config", "{\"input\":" + std::to_string(mlp.input_dim()) + ",\"layers\":" + layers_json(mlp.layers()) + "}");
  add_mlp(w, mlp, "");
  return w;
}

std::unique_ptr<Mlp> mlp_from_file(const st::File& file) {
  require_kind(file, kMlpKind);
  const json::Value config = parse_config(file, "mlp.config");
  const size_t input = static_cast<size_t>(unsigned_member(config, "input", "mlp.config", kMaxUnits));
  return read_mlp(file, "", input, parse_layers(member(config, "layers", "mlp.config"), "mlp.config.layers"));
}

st::Writer gan_writer(const Gan& gan) {
  const GanConfig& c = gan.config();
  st::Writer w;
  w.set_metadata(st::kKindKey, kGanKind);
  w.set_metadata("gan.config", "{\"dataDim\":" + std::to_string(c.data_dim) + ",\"noiseDim\":" + std::to_string(c.noise_dim) +
                                   ",\"conditionDim\":" + std::to_string(c.condition_dim) +
                                   ",\"outputActivation\":" + json::quote(activation_name(c.output_activation)) +
                                   ",\"outputSpans\":" + spans_json(c.output_spans) + ",\"tau\":" + float_text(c.tau) +
                                   ",\"conditionLinks\":" + links_json(c.condition_links) +
                                   ",\"conditionLossWeight\":" + float_text(c.condition_loss_weight) +
                                   ",\"pac\":" + std::to_string(c.pac) +
                                   ",\"generator\":" + layers_json(c.generator) +
                                   ",\"discriminator\":" + layers_json(c.discriminator) + "}");
  // 64-bit counters and the seed as decimal text: JSON numbers would lose bits above 2^53.
  w.set_metadata("gan.seed", std::to_string(c.seed));
  w.set_metadata("gan.epochs", std::to_string(gan.epochs_done));
  w.set_metadata("gan.d_steps", std::to_string(gan.d_steps_done));
  w.set_metadata("gan.g_steps", std::to_string(gan.g_steps_done));
  w.set_metadata("gan.samples", std::to_string(gan.samples_drawn.load()));
  add_mlp(w, gan.generator(), "generator.");
  add_mlp(w, gan.discriminator(), "discriminator.");
  return w;
}

std::unique_ptr<Gan> gan_from_file(const st::File& file) {
  require_kind(file, kGanKind);
  const json::Value config = parse_config(file, "gan.config");
  GanConfig c;
  c.data_dim = static_cast<size_t>(unsigned_member(config, "dataDim", "gan.config", kMaxUnits));
  c.noise_dim = static_cast<size_t>(unsigned_member(config, "noiseDim", "gan.config", kMaxUnits));
  c.condition_dim = static_cast<size_t>(unsigned_member(config, "conditionDim", "gan.config", kMaxUnits));
  const json::Value& out = member(config, "outputActivation", "gan.config");
  if (out.type != json::Value::Type::String) corrupt("gan.config.outputActivation is not a string");
  try {
    c.output_activation = activation_from_name(out.string);
  } catch (const Error&) {
    corrupt("gan.config.outputActivation is unknown");
  }
  // Span layout, conditional loss and packing came later: files without them hold plain Gans.
  if (const json::Value* spans = config.find("outputSpans")) {
    if (spans->type != json::Value::Type::Array) corrupt("gan.config.outputSpans is not an array");
    for (const json::Value& item : spans->array) {
      OutputSpan span;
      const json::Value& kind = member(item, "kind", "gan.config.outputSpans");
      if (kind.type != json::Value::Type::String) corrupt("gan.config.outputSpans has a non-string kind");
      try {
        span.kind = span_kind_from_name(kind.string);
      } catch (const Error&) {
        corrupt("gan.config.outputSpans has an unknown kind '" + kind.string + "'");
      }
      span.start = static_cast<size_t>(unsigned_member(item, "start", "gan.config.outputSpans", kMaxUnits));
      span.width = static_cast<size_t>(unsigned_member(item, "width", "gan.config.outputSpans", kMaxUnits));
      c.output_spans.push_back(span);
    }
  }
  if (const json::Value* tau = config.find("tau")) {
    if (tau->type != json::Value::Type::Number) corrupt("gan.config.tau is not a number");
    c.tau = static_cast<float>(tau->number);
  }
  if (const json::Value* links = config.find("conditionLinks")) {
    if (links->type != json::Value::Type::Array) corrupt("gan.config.conditionLinks is not an array");
    for (const json::Value& item : links->array) {
      ConditionLink link;
      link.condition_start = static_cast<size_t>(unsigned_member(item, "conditionStart", "gan.config.conditionLinks", kMaxUnits));
      link.data_start = static_cast<size_t>(unsigned_member(item, "dataStart", "gan.config.conditionLinks", kMaxUnits));
      link.width = static_cast<size_t>(unsigned_member(item, "width", "gan.config.conditionLinks", kMaxUnits));
      c.condition_links.push_back(link);
    }
  }
  if (const json::Value* weight = config.find("conditionLossWeight")) {
    if (weight->type != json::Value::Type::Number) corrupt("gan.config.conditionLossWeight is not a number");
    c.condition_loss_weight = static_cast<float>(weight->number);
  }
  if (config.find("pac")) c.pac = static_cast<size_t>(unsigned_member(config, "pac", "gan.config", 64));
  c.generator = parse_layers(member(config, "generator", "gan.config"), "gan.config.generator");
  c.discriminator = parse_layers(member(config, "discriminator", "gan.config"), "gan.config.discriminator");
  c.seed = parse_u64(file.metadata("gan.seed"), "gan.seed");
  try {
    validate_gan_config(c);
  } catch (const Error& e) {
    corrupt(std::string("the file describes an invalid Gan: ") + e.what());
  }
  auto g = read_mlp(file, "generator.", c.noise_dim + c.condition_dim, generator_layers(c));
  auto d = read_mlp(file, "discriminator.", c.pac * (c.data_dim + c.condition_dim), discriminator_layers(c));
  auto gan = std::make_unique<Gan>(c, std::move(g), std::move(d));
  gan->epochs_done = parse_u64(file.metadata("gan.epochs"), "gan.epochs");
  gan->d_steps_done = parse_u64(file.metadata("gan.d_steps"), "gan.d_steps");
  gan->g_steps_done = parse_u64(file.metadata("gan.g_steps"), "gan.g_steps");
  gan->samples_drawn = parse_u64(file.metadata("gan.samples"), "gan.samples");
  return gan;
}

}  // namespace

std::vector<uint8_t> mlp_to_buffer(const Mlp& mlp) { return mlp_writer(mlp).to_buffer(); }
void mlp_save(const Mlp& mlp, const std::string& path) { mlp_writer(mlp).save(path); }
std::unique_ptr<Mlp> mlp_from_buffer(const uint8_t* data, size_t size) {
  return mlp_from_file(*st::File::from_buffer(data, size));
}
std::unique_ptr<Mlp> mlp_load(const std::string& path) { return mlp_from_file(*st::File::open(path)); }

std::vector<uint8_t> gan_to_buffer(const Gan& gan) { return gan_writer(gan).to_buffer(); }
void gan_save(const Gan& gan, const std::string& path) { gan_writer(gan).save(path); }
std::unique_ptr<Gan> gan_from_buffer(const uint8_t* data, size_t size) {
  return gan_from_file(*st::File::from_buffer(data, size));
}
std::unique_ptr<Gan> gan_load(const std::string& path) { return gan_from_file(*st::File::open(path)); }

}  // namespace reckit
