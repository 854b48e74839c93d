// Sparse building blocks of the neighbourhood recommenders (ItemKNN, UserKNN): the cosine neighbours of
// every row of a sparse matrix, and the two-hop product that turns neighbour lists into scores.
//   neighbours:  sim(a, b) = <x_a, x_b> / (|x_a| |x_b| + shrink)   (shrinkage damps pairs with little overlap)
//                each row keeps its `k` best b != a with a positive overlap, by (sim desc, b asc).
//   two-hop:     out[r][c] = Σ_{(m, w) in A[row r]} w · Σ_{(c, v) in B[m]} v
// ItemKNN scores a user as (user's items) ∘ (item neighbours), UserKNN as (user neighbours) ∘ (their items).
// Dot products run over the transpose (co-occurrences), so the cost is Σ_cols deg² rather than rows²·cols;
// each row is accumulated sequentially in a fixed order, so results do not depend on the thread count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace reckit {

// A read-only CSR matrix: row r holds columns indices[offsets[r] .. offsets[r + 1]) with values.
struct CsrView {
  size_t rows = 0, cols = 0;
  const int32_t* offsets = nullptr;  // rows + 1
  const int32_t* indices = nullptr;
  const float* values = nullptr;
};

struct CsrMatrix {
  size_t rows = 0, cols = 0;
  std::vector<int32_t> offsets, indices;
  std::vector<float> values;
  CsrView view() const { return CsrView{rows, cols, offsets.data(), indices.data(), values.data()}; }
};

// Checks offsets (0, non-decreasing, ending at nnz), column range, finite values; throws with a message.
void validate_csr(const CsrView& m, size_t nnz, const char* name);

CsrMatrix transpose(const CsrView& m);

// The k cosine neighbours (with shrinkage) of every row of `m`; rows × rows CSR, each row sorted best first.
CsrMatrix cosine_neighbours(const CsrView& m, size_t k, float shrink);

// out: rows.size() × b.cols (row-major, overwritten). Every rows[i] must be < a.rows and a.cols == b.rows.
void two_hop(const CsrView& a, const CsrView& b, const int32_t* rows, size_t n, float* out);

}  // namespace reckit
