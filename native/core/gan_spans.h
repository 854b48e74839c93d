// Per-span output activations for a generator that emits encoded table rows (CTGAN, Xu et al. 2019):
// a row is a run of spans, each a scalar block squashed by tanh (or left linear) or a one-hot block
// produced by softmax or Gumbel-softmax (softmax((logits + g) / τ), g = −log(−log u), u from Philox), so
// categorical outputs stay differentiable yet near one-hot. Forward and backward are written out here
// (no autodiff); the backward needs only the activated output. Also the conditional-generator loss:
// the cross-entropy between a conditioned one-hot span's logits and the condition it was asked for.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace reckit {

enum class SpanKind : uint8_t { Linear, Tanh, Softmax, Gumbel };

struct OutputSpan {
  SpanKind kind = SpanKind::Linear;
  size_t start = 0, width = 0;
};

// Condition slots [condition_start, +width) ask for the one-hot data span [data_start, +width).
struct ConditionLink {
  size_t condition_start = 0, data_start = 0, width = 0;
};

const char* span_kind_name(SpanKind kind);
// "linear" | "tanh" | "softmax" | "gumbel"; ERR_RECKIT_INVALID_ARG otherwise.
SpanKind span_kind_from_name(const std::string& name);

// Spans must tile [0, data_dim) in order without gaps; τ must be in (0, 100].
void validate_spans(const std::vector<OutputSpan>& spans, size_t data_dim, float tau);
// Links must lie inside the condition vector and on softmax/gumbel spans of the same width.
void validate_links(const std::vector<ConditionLink>& links, const std::vector<OutputSpan>& spans, size_t condition_dim);

// Standard Gumbel noise −log(−log u), u uniform in the open interval (0, 1), from Philox (seed, stream).
void fill_gumbel(float* out, size_t n, uint64_t seed, uint64_t stream);

// out = spans(logits) for rows × dim values. `gumbel` (rows × dim, nullable: then zero noise) is read
// only in Gumbel spans. out may not alias logits.
void spans_forward(const std::vector<OutputSpan>& spans, float tau, const float* logits, const float* gumbel,
                   size_t rows, size_t dim, float* out);
// grad_logits = (d out / d logits)ᵀ · grad_out, from the forward's output. May alias grad_out.
void spans_backward(const std::vector<OutputSpan>& spans, float tau, const float* out, const float* grad_out,
                    size_t rows, size_t dim, float* grad_logits);

// Mean over rows of Σ_links active in the row (the condition has a 1 in the link's slots) of the
// cross-entropy −log softmax(logits[data span])[k]; adds weight × its gradient into grad_logits.
double condition_loss(const std::vector<ConditionLink>& links, const float* logits, const float* conditions,
                      size_t rows, size_t dim, size_t condition_dim, float weight, float* grad_logits);

}  // namespace reckit
