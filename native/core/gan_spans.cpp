// Span activations, their backward pass and the conditional loss (see gan_spans.h). Row loops are
// short (a row is a few hundred values) and the GEMMs around them dominate, so they stay scalar.
#include "core/gan_spans.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/gan_span_math.h"
#include "core/philox.h"
#include "core/thread_pool.h"

namespace reckit {
namespace {

// Rows per task: enough values that waking a thread pays off.
size_t row_chunk(size_t dim) { return std::max<size_t>(1, (size_t{1} << 14) / std::max<size_t>(dim, 1)); }

}  // namespace

const char* span_kind_name(SpanKind kind) {
  switch (kind) {
    case SpanKind::Linear: return "linear";
    case SpanKind::Tanh: return "tanh";
    case SpanKind::Softmax: return "softmax";
    case SpanKind::Gumbel: return "gumbel";
  }
  return "linear";
}

SpanKind span_kind_from_name(const std::string& name) {
  if (name == "linear") return SpanKind::Linear;
  if (name == "tanh") return SpanKind::Tanh;
  if (name == "softmax") return SpanKind::Softmax;
  if (name == "gumbel") return SpanKind::Gumbel;
  fail(ErrorCode::InvalidArg, "span kind must be one of linear, tanh, softmax, gumbel (got '" + name + "')");
}

void validate_spans(const std::vector<OutputSpan>& spans, size_t data_dim, float tau) {
  require(std::isfinite(tau) && tau > 0.f && tau <= 100.f, ErrorCode::OutOfRange, "tau must be in (0, 100]");
  size_t at = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const std::string name = "outputSpans[" + std::to_string(i) + "]";
    require(spans[i].start == at, ErrorCode::InvalidArg, name + " must start at " + std::to_string(at));
    require(spans[i].width >= 1 && spans[i].width <= data_dim - at, ErrorCode::OutOfRange,
            name + ".width must be between 1 and " + std::to_string(data_dim - at));
    at += spans[i].width;
  }
  require(at == data_dim, ErrorCode::DimMismatch,
          "outputSpans cover " + std::to_string(at) + " values, dataDim is " + std::to_string(data_dim));
}

void validate_links(const std::vector<ConditionLink>& links, const std::vector<OutputSpan>& spans, size_t condition_dim) {
  for (size_t i = 0; i < links.size(); ++i) {
    const ConditionLink& l = links[i];
    const std::string name = "conditionLinks[" + std::to_string(i) + "]";
    require(l.width >= 1 && l.condition_start <= condition_dim && l.width <= condition_dim - l.condition_start,
            ErrorCode::OutOfRange, name + " lies outside the condition vector (conditionDim " + std::to_string(condition_dim) + ")");
    const bool on_one_hot = std::any_of(spans.begin(), spans.end(), [&](const OutputSpan& s) {
      return s.start == l.data_start && s.width == l.width && (s.kind == SpanKind::Softmax || s.kind == SpanKind::Gumbel);
    });
    require(on_one_hot, ErrorCode::InvalidArg, name + " must name a softmax or gumbel output span of the same width");
  }
}

void fill_gumbel(float* out, size_t n, uint64_t seed, uint64_t stream) {
  const size_t blocks = (n + 3) / 4;
  ComputePool::instance().parallel_for(blocks, size_t{1} << 12, [&](size_t, size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      const PhiloxBlock block = philox_block(seed, stream, b);
      for (size_t j = 0; j < 4 && b * 4 + j < n; ++j) {
        // (bits + ½) / 2^24 is strictly inside (0, 1) so both logarithms are finite. In double: in
        // float, 2^24 − ½ rounds up to 2^24, u would be 1 and the noise +inf.
        const double u = (static_cast<double>(block.v[j] >> 8) + 0.5) * (1.0 / 16777216.0);
        out[b * 4 + j] = static_cast<float>(-std::log(-std::log(u)));
      }
    }
  });
}

void spans_forward(const std::vector<OutputSpan>& spans, float tau, const float* logits, const float* gumbel,
                   size_t rows, size_t dim, float* out) {
  ComputePool::instance().parallel_for(rows, row_chunk(dim), [&](size_t, size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* z = logits + r * dim;
      float* y = out + r * dim;
      for (const OutputSpan& s : spans) {
        switch (s.kind) {
          case SpanKind::Linear: std::copy(z + s.start, z + s.start + s.width, y + s.start); break;
          case SpanKind::Tanh:
            for (size_t j = s.start; j < s.start + s.width; ++j) y[j] = std::tanh(z[j]);
            break;
          case SpanKind::Softmax: span_softmax(z + s.start, nullptr, s.width, 1.f, y + s.start); break;
          case SpanKind::Gumbel:
            span_softmax(z + s.start, gumbel ? gumbel + r * dim + s.start : nullptr, s.width, 1.f / tau, y + s.start);
            break;
        }
      }
    }
  });
}

void spans_backward(const std::vector<OutputSpan>& spans, float tau, const float* out, const float* grad_out,
                    size_t rows, size_t dim, float* grad_logits) {
  ComputePool::instance().parallel_for(rows, row_chunk(dim), [&](size_t, size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* y = out + r * dim;
      const float* gy = grad_out + r * dim;
      float* gz = grad_logits + r * dim;
      for (const OutputSpan& s : spans) {
        const size_t a = s.start, b = s.start + s.width;
        switch (s.kind) {
          case SpanKind::Linear:
            if (gz != gy) std::copy(gy + a, gy + b, gz + a);
            break;
          case SpanKind::Tanh:
            for (size_t j = a; j < b; ++j) gz[j] = gy[j] * (1.f - y[j] * y[j]);
            break;
          case SpanKind::Softmax:
          case SpanKind::Gumbel: {
            // Softmax Jacobian, scale = 1/τ for Gumbel (gan_span_math.h).
            span_softmax_backward(y + a, gy + a, b - a, s.kind == SpanKind::Gumbel ? 1.f / tau : 1.f, gz + a);
            break;
          }
        }
      }
    }
  });
}

double condition_loss(const std::vector<ConditionLink>& links, const float* logits, const float* conditions,
                      size_t rows, size_t dim, size_t condition_dim, float weight, float* grad_logits) {
  if (links.empty() || rows == 0) return 0.0;
  double total = 0.0;
  const float scale = weight / static_cast<float>(rows);
  std::vector<float> p;
  for (size_t r = 0; r < rows; ++r) {
    const float* c = conditions + r * condition_dim;
    const float* z = logits + r * dim;
    for (const ConditionLink& l : links) {
      const size_t k = condition_slot(c + l.condition_start, l.width);
      if (k == l.width) continue;  // this row conditions on another column
      p.resize(l.width);
      total += condition_link_loss(z + l.data_start, l.width, k, scale, p.data(),
                                   grad_logits ? grad_logits + r * dim + l.data_start : nullptr);
    }
  }
  return total / static_cast<double>(rows);
}

}  // namespace reckit
