// BPR matrix factorisation (Rendle et al., UAI 2009) trained through EmbeddingTable's fused sparse steps.
// Score x_ui = p_u · q_i + b_i (user table P, item table Q, optional item-bias table B of dim 1).
// Per sampled triple (u, i, j) — (u, i) a training pair drawn uniformly, j an item u has not met — the loss is
//   softplus(-(x_ui - x_uj)) + reg/2 (|p_u|² + |q_i|² + |q_j|² + b_i² + b_j²)
// and a minibatch's gradients (summed over its triples; a row met twice gets both contributions) are applied
// by EmbeddingTable::step with the chosen sparse optimizer. Sampling is Philox keyed by (seed, epoch, triple
// index) and gradients are computed per triple in a fixed order, so training is deterministic for a seed and
// a thread count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/embedding_optimizers.h"
#include "core/recsys_sparse.h"

namespace reckit {

class EmbeddingTable;

struct BprTables {
  EmbeddingTable* users = nullptr;
  EmbeddingTable* items = nullptr;
  EmbeddingTable* bias = nullptr;  // items × 1, or null for no item bias
};

struct BprOptions {
  SparseOptimizerConfig optimizer;
  float reg = 0.01f;
  size_t batch = 256;
};

// Checks table shapes against each other and (when given) the training matrix.
void bpr_check_tables(const BprTables& t, const CsrView* seen);

// One update on the given triples; returns the summed loss of the triples before the update.
double bpr_step(const BprTables& t, const uint32_t* u, const uint32_t* i, const uint32_t* j, size_t n,
                const BprOptions& options);

// Draws triples `first .. first + n` of epoch `epoch` (seen: users × items CSR with sorted columns).
void bpr_sample(const CsrView& seen, uint64_t seed, uint64_t epoch, uint64_t first, size_t n, uint32_t* u,
                uint32_t* i, uint32_t* j);

// `epochs` passes of nnz(seen) triples each; after every epoch calls on_epoch(epoch, mean loss) and stops
// when it returns false. Returns the mean loss per epoch run.
std::vector<double> bpr_train(const BprTables& t, const CsrView& seen, size_t epochs, uint64_t seed,
                              const BprOptions& options, const std::function<bool(size_t, double)>& on_epoch);

// out: n × items scores of the given user vectors (n × dim) against every item (+ bias).
void bpr_score(const BprTables& t, const float* user_vectors, size_t n, float* out);

}  // namespace reckit
