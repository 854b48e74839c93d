/* The C ABI between the addon and the optional reckit_cuda library (dlopen'ed at run time).
 * Plain C types only, every function reports failure through its return value and a message
 * buffer: no C++ exceptions or CUDA types cross the library boundary. Bump the version on any change. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define RECKIT_CUDA_ABI_VERSION 4

#if defined(RECKIT_CUDA_LIBRARY_BUILD)
#define RECKIT_CUDA_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define RECKIT_CUDA_EXPORT extern "C"
#endif

/* Status codes returned by every entry point. */
enum reckit_cuda_status {
  RECKIT_CUDA_OK = 0,
  RECKIT_CUDA_NO_DEVICE = 1,     /* no driver, driver too old, or zero devices: see the message */
  RECKIT_CUDA_OUT_OF_MEMORY = 2, /* a device or pinned allocation failed */
  RECKIT_CUDA_FAILED = 3,        /* any other CUDA error: see the message */
  RECKIT_CUDA_INVALID = 4        /* arguments outside what this entry point takes (e.g. k too large): fall back */
};

typedef int (*reckit_cuda_abi_version_fn)(void);
/* Number of usable devices in *count; on RECKIT_CUDA_NO_DEVICE the message says why. */
typedef int (*reckit_cuda_probe_fn)(int* count, char* message, size_t message_size);
/* Uniform floats in [low, high) from Philox (seed, stream), computed on device 0, copied to host_out. */
typedef int (*reckit_cuda_philox_uniform_fn)(float* host_out, size_t n, uint64_t seed, uint64_t stream, float low,
                                             float high, char* message, size_t message_size);
/* The build's backend ("cuda", or "emulated" for the test build) and device 0's name. */
typedef int (*reckit_cuda_describe_fn)(char* backend, size_t backend_size, char* device, size_t device_size);

/* Exact top-k by inner product: for each of the n queries (n x dim, already normalized by the caller for
 * cosine), the k best rows of `matrix` (rows x dim, row-major) in the order "higher score, then smaller
 * row_ids[row]". ids_out / scores_out are n x k; slots past the number of rows get id -1 and score -inf.
 * k <= RECKIT_CUDA_TOPK_MAX_K (else RECKIT_CUDA_INVALID). slice_rows: rows per scanning block (0 = automatic;
 * tests force small slices to exercise the merge). */
#define RECKIT_CUDA_TOPK_MAX_K 256
typedef int (*reckit_cuda_topk_f32_fn)(const float* matrix, size_t rows, size_t dim, const uint64_t* row_ids,
                                       const float* queries, size_t n, size_t k, size_t slice_rows, int64_t* ids_out,
                                       float* scores_out, char* message, size_t message_size);

/* Pooled embedding lookup (core/embedding_table.h's contract): table rows x dim; ids[n] < rows (checked);
 * offsets[bags] (offsets[0] == 0, non-decreasing, <= n; null: every id is its own bag and bags == n);
 * weights[n] or null; mode 0 sum, 1 mean, 2 max. out: bags x dim; an empty bag gives zeros. */
typedef int (*reckit_cuda_embedding_bag_fn)(const float* table, size_t rows, size_t dim, const uint32_t* ids,
                                            size_t n, const uint32_t* offsets, size_t bags, const float* weights,
                                            int mode, float* out, char* message, size_t message_size);

/* The sparse backward of a sum/mean bag (max: RECKIT_CUDA_INVALID): every touched row once, rows ascending,
 * its gradient summed over its occurrences in position order (deterministic: no float atomics).
 * rows_out[n] and grads_out[n x dim] have room for n rows; *touched receives how many were written. */
typedef int (*reckit_cuda_embedding_bag_backward_fn)(size_t rows, size_t dim, const uint32_t* ids, size_t n,
                                                     const uint32_t* offsets, size_t bags, const float* weights,
                                                     int mode, const float* grad_out, uint32_t* rows_out,
                                                     float* grads_out, size_t* touched, char* message,
                                                     size_t message_size);

/* Row-major float32 GEMM with the fused epilogue (core/gemm.h's contract):
 * C[m x n] = act(alpha * op(A) * op(B) + beta * C + bias), op(X) = X or X^T; A is (trans_a ? k x m : m x k) with
 * row stride lda, B is (trans_b ? n x k : k x n) with row stride ldb, C has row stride ldc (its gaps are kept);
 * bias: n values or null; activation: 0 linear, 1 relu, 2 leaky_relu (slope), 3 tanh, 4 sigmoid.
 * beta == 0 never reads C's values. */
typedef int (*reckit_cuda_gemm_f32_fn)(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                                       const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c,
                                       size_t ldc, const float* bias, int activation, float slope, char* message,
                                       size_t message_size);

/* The fused sparse optimizer step (core/embedding_optimizers.h): the bag backward above, then each touched row
 * updated once with its summed gradient. table (rows x dim) is updated in place; state_a (Adagrad sums, Adam m)
 * and state_b (Adam v) are rows x dim, steps (Adam's per-row step counts) rows, each null when the optimizer
 * does not use it. optimizer: 0 SGD, 1 Adagrad, 2 Adam. *touched receives the number of rows updated. */
typedef int (*reckit_cuda_embedding_sparse_step_fn)(float* table, size_t rows, size_t dim, float* state_a,
                                                    float* state_b, uint32_t* steps, int optimizer, float lr,
                                                    float weight_decay, float eps, float beta1, float beta2,
                                                    const uint32_t* ids, size_t n, const uint32_t* offsets,
                                                    size_t bags, const float* weights, int mode,
                                                    const float* grad_out, size_t* touched, char* message,
                                                    size_t message_size);

/* The mean loss over n elements (core/losses.h): kind 0 BCE with logits, 1 MSE; *mean_out = (1/n) sum loss_i
 * (summed in double, deterministically); grad_out[i] = dL_i/dz_i * scale when grad_out is not null. */
typedef int (*reckit_cuda_loss_f32_fn)(int kind, const float* z, const float* y, size_t n, float* grad_out,
                                       float scale, double* mean_out, char* message, size_t message_size);

/* One dense Adam step t (1-based) over n parameters in place (core/optimizers.h, PyTorch's arrangement, L2
 * weight decay added to the gradient). */
typedef int (*reckit_cuda_adam_f32_fn)(float* params, const float* grads, float* m, float* v, size_t n, float lr,
                                       float beta1, float beta2, float eps, float weight_decay, uint64_t step,
                                       char* message, size_t message_size);

/* ---- index: a device-resident CosineIndex (ABI 3) ----------------------------------------------------------
 * An opaque handle holding one index's scanned matrix on the device: `rows` rows of `stride` elements (the
 * first `dim` meaningful, the rest zero) in `dtype`, the per-row scales (i8 only) and the caller ids of the rows
 * (for the tie-break). Created from host memory through a pinned staging buffer; immutable afterwards (the addon
 * re-creates it when the CPU index changed). Searches on one handle are serialized by the library. */
typedef struct reckit_cuda_index reckit_cuda_index;
#define RECKIT_CUDA_DTYPE_F32 0
#define RECKIT_CUDA_DTYPE_BF16 1
#define RECKIT_CUDA_DTYPE_F16 2
#define RECKIT_CUDA_DTYPE_I8 3 /* value = scales[row] * int8 */
typedef int (*reckit_cuda_index_create_fn)(const void* data, size_t rows, size_t stride, size_t dim, int dtype,
                                           const float* scales, const uint64_t* row_ids, reckit_cuda_index** out,
                                           char* message, size_t message_size);
/* Frees the handle's device memory (null: nothing). */
typedef void (*reckit_cuda_index_destroy_fn)(reckit_cuda_index* index);
/* The k best eligible rows by inner product for each of n queries (n x stride floats, prepared by the caller:
 * normalized for cosine, zero padding), in the order "higher score, then smaller row_ids[row]". A row is
 * eligible unless its bit is set in `blocked` ((rows + 63) / 64 words, bit r of word r / 64; null: none) or it
 * is among the query's excluded rows exclude_rows[exclude_offsets[i] .. exclude_offsets[i + 1]) (sorted
 * ascending; exclude_offsets null: none). Eligibility is decided inside the scan, so k results come back
 * whenever k eligible rows exist. rows_out / scores_out are n x k; missing slots get row 0xFFFFFFFF and score
 * -inf. k <= RECKIT_CUDA_TOPK_MAX_K; slice_rows as for topk_f32 (0 = automatic). */
typedef int (*reckit_cuda_index_search_fn)(reckit_cuda_index* index, const float* queries, size_t n, size_t k,
                                           const uint32_t* exclude_rows, const uint64_t* exclude_offsets,
                                           const uint64_t* blocked, size_t slice_rows, uint32_t* rows_out,
                                           float* scores_out, char* message, size_t message_size);
/* Device bytes held by the handle: the rows, scales and ids, and the search buffers it keeps for the next search. */
typedef size_t (*reckit_cuda_index_bytes_fn)(const reckit_cuda_index* index);
/* ---- tables and models: device-resident objects ---------------------------------------------------------
 * A reckit_cuda_table holds an EmbeddingTable's rows (rows x dim floats) and its optimizer state on the device;
 * batches travel through the table's pinned staging buffer. Calls on one table are serialized by the library. */
typedef struct reckit_cuda_table reckit_cuda_table;

/* A device table holding a copy of weights (rows x dim); *out receives it. */
typedef int (*reckit_cuda_table_create_fn)(const float* weights, size_t rows, size_t dim, reckit_cuda_table** out,
                                           char* message, size_t message_size);
typedef void (*reckit_cuda_table_destroy_fn)(reckit_cuda_table* table);
/* Device bytes held by the table (ABI 4): the rows, the optimizer state, and the batch buffers it keeps for the
 * next call (grown on demand, never shrunk). Waits for a call in progress on the table. */
typedef size_t (*reckit_cuda_table_bytes_fn)(reckit_cuda_table* table);
/* Overwrites rows [first_row, first_row + count) with weights (count x dim). */
typedef int (*reckit_cuda_table_write_fn)(reckit_cuda_table* table, size_t first_row, size_t count,
                                          const float* weights, char* message, size_t message_size);
/* Replaces the optimizer state: optimizer -1 none (frees it), 0 SGD (none), 1 Adagrad (a), 2 Adam (a, b, steps);
 * a / b are rows x dim, steps rows; a null array means zeros. Nothing changes when an allocation fails. */
typedef int (*reckit_cuda_table_set_state_fn)(reckit_cuda_table* table, int optimizer, const float* a,
                                              const float* b, const uint32_t* steps, char* message,
                                              size_t message_size);
/* Copies the rows and the state to the host; each null destination is skipped (a state the table does not hold
 * is RECKIT_CUDA_INVALID). */
typedef int (*reckit_cuda_table_read_fn)(reckit_cuda_table* table, float* weights, float* a, float* b,
                                         uint32_t* steps, char* message, size_t message_size);
/* Copies rows [first_row, first_row + count) to weights (count x dim) (ABI 4: a single row without the table). */
typedef int (*reckit_cuda_table_read_rows_fn)(reckit_cuda_table* table, size_t first_row, size_t count, float* weights,
                                              char* message, size_t message_size);
/* Pooled lookup of the resident rows (reckit_cuda_embedding_bag's contract). */
typedef int (*reckit_cuda_table_bag_fn)(reckit_cuda_table* table, const uint32_t* ids, size_t n,
                                        const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                        float* out, char* message, size_t message_size);
/* The sparse backward of a bag against the resident rows, every mode: sum / mean as
 * reckit_cuda_embedding_bag_backward; max sends element d of bag b's gradient to the first position holding the
 * bag's maximum (the CPU's tie rule). weight_grads_out (n, or null) receives d out / d weights[i]. */
typedef int (*reckit_cuda_table_backward_fn)(reckit_cuda_table* table, const uint32_t* ids, size_t n,
                                             const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                             const float* grad_out, uint32_t* rows_out, float* grads_out,
                                             float* weight_grads_out, size_t* touched, char* message,
                                             size_t message_size);
/* The fused sparse optimizer step on the resident rows and state (reckit_cuda_embedding_sparse_step's update,
 * every pooling mode). A stateful optimizer creates zero state on first use; state of another optimizer is
 * RECKIT_CUDA_INVALID. weight_grads_out as above, computed before the update. On failure nothing changed. */
typedef int (*reckit_cuda_table_step_fn)(reckit_cuda_table* table, int optimizer, float lr, float weight_decay,
                                         float eps, float beta1, float beta2, const uint32_t* ids, size_t n,
                                         const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                         const float* grad_out, float* weight_grads_out, size_t* touched,
                                         char* message, size_t message_size);

/* Mlp. A reckit_cuda_mlp holds an Mlp's parameters (core/mlp.h's layout: per layer W [in x out] row-major, then
 * b [out]), its gradients, its optimizer state and its activations on the device for the model's life (the
 * resident Mlp, core/mlp_device.cpp). activations[l]: 0 linear, 1 relu, 2 leaky_relu (slopes[l]), 3 tanh,
 * 4 sigmoid. Calls on one handle are serialized by the library. */
typedef struct reckit_cuda_mlp reckit_cuda_mlp;
typedef int (*reckit_cuda_mlp_create_fn)(size_t input, size_t layers, const size_t* units, const int* activations,
                                         const float* slopes, const float* params, reckit_cuda_mlp** out,
                                         char* message, size_t message_size);
typedef void (*reckit_cuda_mlp_destroy_fn)(reckit_cuda_mlp* mlp);
/* Replaces the optimizer state (each array has the parameters' length; null: none held). */
typedef int (*reckit_cuda_mlp_set_state_fn)(reckit_cuda_mlp* mlp, const float* adam_m, const float* adam_v,
                                            const float* velocity, char* message, size_t message_size);
/* Copies the parameters and the state to the host; null destinations are skipped, a state not held is zeros. */
typedef int (*reckit_cuda_mlp_read_fn)(reckit_cuda_mlp* mlp, float* params, float* adam_m, float* adam_v,
                                       float* velocity, char* message, size_t message_size);
/* One mini-batch as core/mlp.cpp's train_mlp does it: forward, the mean loss (0 BCE with logits, 1 MSE) and its
 * gradient, backward, then the update (optimizer 0: Adam step adam_step (1-based); 1: SGD with momentum).
 * *loss_out receives the batch's mean loss. */
typedef int (*reckit_cuda_mlp_train_batch_fn)(reckit_cuda_mlp* mlp, const float* x, const float* y, size_t rows,
                                              int loss, int optimizer, float lr, float beta1, float beta2, float eps,
                                              float momentum, float weight_decay, uint64_t adam_step,
                                              double* loss_out, char* message, size_t message_size);
/* Overwrites the parameters and / or the gradients with host arrays of the parameters' length (null: unchanged). */
typedef int (*reckit_cuda_mlp_write_fn)(reckit_cuda_mlp* mlp, const float* params, const float* grads, char* message,
                                        size_t message_size);
/* Copies the gradients to the host. */
typedef int (*reckit_cuda_mlp_read_gradients_fn)(reckit_cuda_mlp* mlp, float* grads, char* message,
                                                 size_t message_size);
/* x (rows x input) through the network into out (rows x output), keeping x and the activations for
 * reckit_cuda_mlp_backward; it also allocates what that backward needs, so the backward never runs out of memory. */
typedef int (*reckit_cuda_mlp_forward_fn)(reckit_cuda_mlp* mlp, const float* x, size_t rows, float* out,
                                          char* message, size_t message_size);
/* The forward's outputs without keeping anything (the kept forward stays), in pieces of at most
 * RECKIT_CUDA_MLP_PREDICT_ROWS rows so the device memory it takes is bounded. */
#define RECKIT_CUDA_MLP_PREDICT_ROWS 4096
typedef int (*reckit_cuda_mlp_predict_fn)(reckit_cuda_mlp* mlp, const float* x, size_t rows, float* out,
                                          char* message, size_t message_size);
/* Backpropagates grad_out (rows x output, dL/d output of the kept forward; rows must be its rows, else
 * RECKIT_CUDA_INVALID): the parameter gradients replace the handle's, and are copied to param_grads (nullable);
 * input_grad (rows x input, nullable) receives dL/dx. */
typedef int (*reckit_cuda_mlp_backward_fn)(reckit_cuda_mlp* mlp, const float* grad_out, size_t rows,
                                           float* input_grad, float* param_grads, char* message, size_t message_size);
/* One update of the parameters from the handle's gradients, train_batch's (optimizer 0: Adam step adam_step,
 * 1-based; 1: SGD with momentum). State the optimizer lacks is created as zeros first; out of memory changes
 * nothing. */
typedef int (*reckit_cuda_mlp_step_fn)(reckit_cuda_mlp* mlp, int optimizer, float lr, float beta1, float beta2,
                                       float eps, float momentum, float weight_decay, uint64_t adam_step,
                                       char* message, size_t message_size);

/* A reckit_cuda_gan holds a Gan's two networks (core/gan.h; parameters in the Mlp layout above), their Adam
 * state and every per-batch buffer on the device while it trains (ABI 4). The host draws the batches, the noise
 * and the Gumbel noise (the CPU's Philox code, so a seed gives the same draws on both) and sends each D update's
 * share up; the G update reuses the last D update's fakes on the device. Calls on one Gan are serialized. */
typedef struct reckit_cuda_gan reckit_cuda_gan;
typedef struct reckit_cuda_gan_config {
  size_t data_dim, noise_dim, condition_dim, pac;
  size_t max_batch; /* rows of the largest D update (a multiple of pac): every buffer is allocated at create */
  size_t generator_layers; /* input noise_dim + condition_dim; activations as for reckit_cuda_mlp */
  const size_t* generator_units;
  const int* generator_activations;
  const float* generator_slopes;
  size_t discriminator_layers; /* input pac * (data_dim + condition_dim), one linear logit last */
  const size_t* discriminator_units;
  const int* discriminator_activations;
  const float* discriminator_slopes;
  size_t spans;          /* output spans tiling data_dim (0: none, the generator's own output activation) */
  const int* span_kinds; /* 0 linear, 1 tanh, 2 softmax, 3 Gumbel-softmax at temperature tau */
  const size_t* span_widths;
  float tau;
  size_t links; /* condition links (CTGAN's conditional loss) */
  const size_t* link_condition_starts;
  const size_t* link_data_starts;
  const size_t* link_widths;
  float condition_loss_weight;
} reckit_cuda_gan_config;
typedef int (*reckit_cuda_gan_create_fn)(const reckit_cuda_gan_config* config, const float* generator_params,
                                         const float* discriminator_params, reckit_cuda_gan** out, char* message,
                                         size_t message_size);
typedef void (*reckit_cuda_gan_destroy_fn)(reckit_cuda_gan* gan);
/* network 0: the generator, 1: the discriminator. Replaces its Adam moments (null: zeros, a fresh Adam). */
typedef int (*reckit_cuda_gan_set_state_fn)(reckit_cuda_gan* gan, int network, const float* adam_m,
                                            const float* adam_v, char* message, size_t message_size);
/* Copies a network's parameters and Adam moments to the host (null destinations skipped). */
typedef int (*reckit_cuda_gan_read_fn)(reckit_cuda_gan* gan, int network, float* params, float* adam_m,
                                       float* adam_v, char* message, size_t message_size);
/* One discriminator update (core/gan.cpp's order) on `rows` real rows (rows x data_dim), their conditions
 * (rows x condition_dim, null without), the generator's noise (rows x noise_dim) and, with Gumbel spans, its
 * Gumbel noise (rows x data_dim); rows a multiple of pac. real_target = 1 - label smoothing; Adam step adam_step
 * (1-based) of the discriminator. sums_out[4]: Σ BCE of the real packs, Σ D(real), Σ BCE of the fakes, Σ D(fake). */
typedef int (*reckit_cuda_gan_d_step_fn)(reckit_cuda_gan* gan, const float* real, const float* conditions,
                                         const float* noise, const float* gumbel, size_t rows, float real_target,
                                         float lr, float beta1, float beta2, uint64_t adam_step, double* sums_out,
                                         char* message, size_t message_size);
/* One generator update on the last D update's fakes (Adam step adam_step of the generator). sums_out[2]: Σ BCE of
 * the fake packs against 1, and Σ over rows of the conditional cross-entropy (0 without links). */
typedef int (*reckit_cuda_gan_g_step_fn)(reckit_cuda_gan* gan, float lr, float beta1, float beta2, uint64_t adam_step,
                                         double* sums_out, char* message, size_t message_size);

/* A reckit_cuda_cfgan holds a CFGAN's two networks (core/cfgan.h), their Adam state (fresh: a CFGAN fit starts from
 * new networks) and every per-batch buffer on the device while it trains (ABI 4). The host draws the batches, the
 * noise and the PM / ZR masks with the CPU's Philox code and sends each D update's share up. */
typedef struct reckit_cuda_cfgan reckit_cuda_cfgan;
/* Generator: input noise_dim + items, last layer items sigmoid units; discriminator: input 2 * items, one logit.
 * Layers as for reckit_cuda_mlp. max_batch: rows of the largest update (every buffer is allocated here). */
typedef int (*reckit_cuda_cfgan_create_fn)(size_t items, size_t noise_dim, size_t max_batch, size_t generator_layers,
                                           const size_t* generator_units, const int* generator_activations,
                                           const float* generator_slopes, const float* generator_params,
                                           size_t discriminator_layers, const size_t* discriminator_units,
                                           const int* discriminator_activations, const float* discriminator_slopes,
                                           const float* discriminator_params, reckit_cuda_cfgan** out, char* message,
                                           size_t message_size);
typedef void (*reckit_cuda_cfgan_destroy_fn)(reckit_cuda_cfgan* cfgan);
/* network 0: the generator, 1: the discriminator; parameters and Adam moments to the host (nulls skipped). */
typedef int (*reckit_cuda_cfgan_read_fn)(reckit_cuda_cfgan* cfgan, int network, float* params, float* adam_m,
                                         float* adam_v, char* message, size_t message_size);
/* One D update (core/cfgan.cpp's order): g_in = noise ⊕ purchase vector (rows x (noise_dim + items)), purchases
 * (rows x items, 0/1), the PM and ZR masks (rows x items, 0/1). sums_out[2]: Σ BCE of the real rows, of the fakes. */
typedef int (*reckit_cuda_cfgan_d_step_fn)(reckit_cuda_cfgan* cfgan, const float* g_in, const float* purchases,
                                           const float* pm, const float* zr, size_t rows, float lr, float beta1,
                                           float beta2, uint64_t adam_step, double* sums_out, char* message,
                                           size_t message_size);
/* One G update on the last D update's fakes and masks. sums_out[2]: Σ BCE of the fakes against 1, Σ zr · fake². */
typedef int (*reckit_cuda_cfgan_g_step_fn)(reckit_cuda_cfgan* cfgan, float zr_weight, float lr, float beta1,
                                           float beta2, uint64_t adam_step, double* sums_out, char* message,
                                           size_t message_size);
