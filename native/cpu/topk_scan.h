// Kernel family "topk scan": the scoring leaves of CosineIndex's fused score + select loop, per ISA.
// Rows are stored zero-padded to `dp` elements (a multiple of kTopkPad), so kernels have no tails.
// Single-query kernels score each row independently in a fixed order, so a row's score does not depend
// on where it sits in a block (the rerank relies on this: see core/cosine_index.h). Selection (heaps,
// tie-breaks) stays in portable code (core/topk.h); these functions only produce scores and hit masks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace reckit::cpu {

constexpr size_t kTopkPad = 16;          // row padding, in elements, of every stored dtype
constexpr size_t kTopkQueryBlock = 32;   // queries per packed block of the batch kernel

struct TopkScan {
  // out[j] = <q, row j> for n rows of dp elements each (rows contiguous, stride dp).
  void (*score_f32)(const float* q, const float* rows, size_t n, size_t dp, float* out);
  void (*score_bf16)(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out);
  void (*score_f16)(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out);
  // out[j] = scales[j] * <q, row j> for int8 rows.
  void (*score_i8)(const float* q, const int8_t* rows, const float* scales, size_t n, size_t dp, float* out);
  // Decodes n rows of dp elements to float32 (for the batch path over reduced storage).
  void (*decode_bf16)(const uint16_t* rows, size_t n, size_t dp, float* out);
  void (*decode_f16)(const uint16_t* rows, size_t n, size_t dp, float* out);
  void (*decode_i8)(const int8_t* rows, const float* scales, size_t n, size_t dp, float* out);
  // Batch: qpack holds kTopkQueryBlock queries k-major (qpack[k * 32 + i] = query i, element k).
  // out[j * 32 + i] = <query i, row j>; bit i of hits[j] is set when out[j * 32 + i] >= lo[i].
  // Each score is a sequential fused multiply-add chain over k, whatever n or the row's position.
  void (*score_block_f32)(const float* qpack, const float* rows, size_t n, size_t dp, const float* lo, float* out,
                          uint32_t* hits);
};

TopkScan topk_scan_portable();
#if defined(RECKIT_HAVE_AVX2)
TopkScan topk_scan_avx2();
#endif
#if defined(RECKIT_HAVE_AVX512)
TopkScan topk_scan_avx512();
#endif

// Scalar conversions shared by insertion and the portable kernels (round to nearest even).
uint16_t f32_to_bf16(float v);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_f16(float v);  // |v| must be <= 65504 (checked by the caller)
float f16_to_f32(uint16_t h);

}  // namespace reckit::cpu
