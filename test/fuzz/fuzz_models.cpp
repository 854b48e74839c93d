// libFuzzer harness: Mlp and Gan model files. The first input byte picks the loader; on success the
// model runs once (a forward pass / a generated sample) so its parameter layout is exercised.
#include <vector>

#include "core/gan.h"
#include "core/mlp.h"
#include "core/model_io.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool gan = data[0] & 1;
  return fuzz_guard([&] {
    if (gan) {
      auto model = reckit::gan_from_buffer(data + 1, size - 1);
      const auto& c = model->config();
      if (c.data_dim > 4096 || c.condition_dim > 4096) return;
      std::vector<float> condition(c.condition_dim, 0.f), out(c.data_dim);
      model->sample(1, c.condition_dim ? condition.data() : nullptr, false, 1, 0, out.data());
    } else {
      auto model = reckit::mlp_from_buffer(data + 1, size - 1);
      if (model->input_dim() > 4096) return;
      std::vector<float> x(model->input_dim(), 0.25f);
      reckit::MlpWorkspace ws;
      model->forward(x.data(), 1, ws);
    }
  });
}
