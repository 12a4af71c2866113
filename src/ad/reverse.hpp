// Reverse-mode automatic differentiation: a scalar type `Var` that records every operation on a
// per-thread tape, and the reverse sweep over that tape (docs/gradients.md "Tape").
//
// Design (chosen after measuring operator-overloading and source-transformation tools on this
// problem; docs/gradients.md):
//  * one tape per thread (`thread_local`), reset for every taped unit of work (one column
//    iteration), so the tape stays small (about 0.1 M nodes for a 50-layer column iteration) and
//    threads never share state;
//  * a node stores at most two parents and the two local partial derivatives (24 bytes); a
//    constant operand points at the node itself with partial 0, so the sweep has no branches
//    and no chain of updates through one address; operations whose operands are all constants
//    record nothing; node 0 is a sink that the sweep never reads (external blocks skip their
//    constant inputs rather than add to it);
//  * n-ary nodes (`Tape::push_nary`) and external blocks with a hand-written adjoint
//    (`Tape::push_external`), used by the specialised kernels in src/gradient/kernels.hpp;
//  * values are not stored on the tape: a Var carries its value, the tape only the partials.
//
// The physics templates (src/physics/*.hpp) are instantiated with T = Var unchanged; the math
// functions below are found by argument-dependent lookup.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace canveg::ad {

#if defined(__GNUC__)
#define CANVEG_AD_INLINE inline __attribute__((always_inline))
#define CANVEG_AD_NOINLINE __attribute__((noinline))
#else
#define CANVEG_AD_INLINE inline
#define CANVEG_AD_NOINLINE
#endif

using Index = std::int32_t;

struct Node {
  Index a, b;     // parents (the node itself for a constant operand)
  double da, db;  // local partial derivatives
};

// One edge of an n-ary node: parent index and partial derivative.
struct NaryEdge {
  Index parent;
  double partial;
};

// Adjoint of an external (hand-differentiated) block: given the adjoints of its n_out outputs,
// adds the contributions to the adjoints of its inputs (adj[inputs[k]] += ...). `data` is the
// block's private data, stored on the tape when the block was recorded.
using ExternalAdjoint = void (*)(const double* out_adj, const Index* inputs, double* adj, const void* data);

class Tape {
 public:
  // Starts a new recording: everything recorded before is forgotten (memory is kept).
  void reset() {
    if (!nodes_) grow_nodes();
    size_ = 1;
    nodes_[0] = Node{0, 0, 0.0, 0.0};
    n_edges_ = n_hooks_ = n_inputs_ = n_data_ = 0;
  }

  // A node with parents a and b (0 = a constant operand). A constant operand is recorded as the
  // node itself with partial 0: the sweep then adds 0 x g to the node's own adjoint g (no change
  // for a finite g; an infinite one becomes NaN) instead of to the sink, whose every update would
  // wait for the previous one (a chain through one address across the whole sweep).
  CANVEG_AD_INLINE Index push(Index a, double da, Index b, double db) {
    if (size_ == capacity_) grow_nodes();
    const Index self = static_cast<Index>(size_);
    nodes_[size_] = Node{a ? a : self, b ? b : self, a ? da : 0.0, b ? db : 0.0};
    return static_cast<Index>(size_++);
  }

  // A new independent variable.
  CANVEG_AD_INLINE Index leaf() { return push(0, 0.0, 0, 0.0); }

  // An n-ary node with value sum_k edges[k].partial * x[edges[k].parent]; returns its index.
  Index push_nary(const NaryEdge* edges, std::size_t n) {
    const Index id = leaf();
    Hook& h = new_hook();
    h.id = id;
    h.fn = nullptr;
    h.first = n_edges_;
    h.count = n;
    reserve_edges(n);
    std::memcpy(edges_ + n_edges_, edges, n * sizeof(NaryEdge));
    n_edges_ += n;
    return id;
  }

  // An external block with n_in inputs (tape indices, 0 for constants) and n_out outputs, which
  // become n_out new consecutive nodes; returns the first. `data` (data_bytes, copied onto the
  // tape, 8-byte aligned) is handed to `fn` in the reverse sweep.
  Index push_external(const Index* inputs, std::size_t n_in, std::size_t n_out, ExternalAdjoint fn,
                      const void* data, std::size_t data_bytes) {
    const Index first = static_cast<Index>(size_);
    for (std::size_t k = 0; k < n_out; ++k) leaf();
    Hook& h = new_hook();
    h.id = first;
    h.fn = fn;
    h.first = n_inputs_;
    h.count = n_in;
    reserve_inputs(n_in);
    std::memcpy(inputs_ + n_inputs_, inputs, n_in * sizeof(Index));
    n_inputs_ += n_in;
    h.data = n_data_;
    const std::size_t padded = (data_bytes + 7) & ~std::size_t{7};
    reserve_data(padded);
    if (data_bytes) std::memcpy(data_ + n_data_, data, data_bytes);
    n_data_ += padded;
    return first;
  }
  // Space for an external block's data written in place (valid until the next record); the
  // offset goes to push_external_inplace.
  std::size_t reserve_external_data(std::size_t bytes, void** where) {
    const std::size_t padded = (bytes + 7) & ~std::size_t{7};
    reserve_data(padded);
    *where = data_ + n_data_;
    const std::size_t offset = n_data_;
    n_data_ += padded;
    return offset;
  }
  Index push_external_inplace(const Index* inputs, std::size_t n_in, std::size_t n_out, ExternalAdjoint fn,
                              std::size_t data_offset) {
    const Index first = static_cast<Index>(size_);
    for (std::size_t k = 0; k < n_out; ++k) leaf();
    Hook& h = new_hook();
    h.id = first;
    h.fn = fn;
    h.first = n_inputs_;
    h.count = n_in;
    reserve_inputs(n_in);
    std::memcpy(inputs_ + n_inputs_, inputs, n_in * sizeof(Index));
    n_inputs_ += n_in;
    h.data = data_offset;
    return first;
  }

  std::size_t size() const { return size_; }
  std::size_t bytes() const {
    return capacity_ * (sizeof(Node) + sizeof(double)) + edge_capacity_ * sizeof(NaryEdge) +
           hook_capacity_ * sizeof(Hook) + input_capacity_ * sizeof(Index) + data_capacity_;
  }

  // Adjoints: zero_adjoints() clears those of the current recording; the caller seeds, reverse()
  // propagates, and the caller reads the leaves' adjoints.
  double* adjoints() { return adj_; }
  const double* adjoints() const { return adj_; }
  void zero_adjoints() { std::memset(adj_, 0, size_ * sizeof(double)); }

  // Propagates the adjoints from the last node back to node 1.
  void reverse() {
    const Node* nodes = nodes_;
    double* adj = adj_;
    std::size_t next_hook = n_hooks_;
    Index hook_id = next_hook ? hooks_[next_hook - 1].id : 0;
    for (std::size_t i = size_ - 1; i > 0; --i) {
      const double g = adj[i];
      const Node& n = nodes[i];
      adj[n.a] += n.da * g;
      adj[n.b] += n.db * g;
      if (static_cast<Index>(i) == hook_id) {
        // Several hooks never share an id: an n-ary node and an external block each own theirs.
        const Hook& h = hooks_[--next_hook];
        if (h.fn) {
          h.fn(adj + h.id, inputs_ + h.first, adj, data_ + h.data);
        } else {
          const NaryEdge* e = edges_ + h.first;
          for (std::size_t k = 0; k < h.count; ++k) adj[e[k].parent] += e[k].partial * g;
        }
        hook_id = next_hook ? hooks_[next_hook - 1].id : 0;
      }
    }
  }

  void release() {
    std::free(nodes_);
    std::free(adj_);
    std::free(edges_);
    std::free(hooks_);
    std::free(inputs_);
    std::free(data_);
    *this = Tape();
  }

 private:
  struct Hook {
    Index id;           // n-ary node, or the first output of an external block
    ExternalAdjoint fn; // null for an n-ary node
    std::size_t first;  // first edge (n-ary) or first input index (external)
    std::size_t count;
    std::size_t data;   // external: offset of its data
  };

  Hook& new_hook() {
    if (n_hooks_ == hook_capacity_) {
      hook_capacity_ = hook_capacity_ ? 2 * hook_capacity_ : 256;
      hooks_ = static_cast<Hook*>(grow(hooks_, hook_capacity_ * sizeof(Hook)));
    }
    return hooks_[n_hooks_++];
  }
  void reserve_edges(std::size_t n) {
    if (n_edges_ + n <= edge_capacity_) return;
    std::size_t cap = edge_capacity_ ? edge_capacity_ : 4096;
    while (cap < n_edges_ + n) cap *= 2;
    edges_ = static_cast<NaryEdge*>(grow(edges_, cap * sizeof(NaryEdge)));
    edge_capacity_ = cap;
  }
  void reserve_inputs(std::size_t n) {
    if (n_inputs_ + n <= input_capacity_) return;
    std::size_t cap = input_capacity_ ? input_capacity_ : 1024;
    while (cap < n_inputs_ + n) cap *= 2;
    inputs_ = static_cast<Index*>(grow(inputs_, cap * sizeof(Index)));
    input_capacity_ = cap;
  }
  void reserve_data(std::size_t n) {
    if (n_data_ + n <= data_capacity_) return;
    std::size_t cap = data_capacity_ ? data_capacity_ : 65536;
    while (cap < n_data_ + n) cap *= 2;
    data_ = static_cast<unsigned char*>(grow(data_, cap));
    data_capacity_ = cap;
  }
  CANVEG_AD_NOINLINE void grow_nodes() {
    const std::size_t cap = capacity_ ? 2 * capacity_ : (std::size_t{1} << 16);
    nodes_ = static_cast<Node*>(grow(nodes_, cap * sizeof(Node)));
    adj_ = static_cast<double*>(grow(adj_, cap * sizeof(double)));
    capacity_ = cap;
    if (size_ == 0) {
      size_ = 1;
      nodes_[0] = Node{0, 0, 0.0, 0.0};
    }
  }
  static void* grow(void* p, std::size_t bytes) {
    void* q = std::realloc(p, bytes);
    if (!q) throw std::bad_alloc();
    return q;
  }

  Node* nodes_ = nullptr;
  double* adj_ = nullptr;
  NaryEdge* edges_ = nullptr;
  Hook* hooks_ = nullptr;
  Index* inputs_ = nullptr;
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
  std::size_t n_edges_ = 0, edge_capacity_ = 0;
  std::size_t n_hooks_ = 0, hook_capacity_ = 0;
  std::size_t n_inputs_ = 0, input_capacity_ = 0;
  std::size_t n_data_ = 0, data_capacity_ = 0;
};

// The calling thread's tape. Trivially destructible: a thread that used it calls
// `release_thread_tape()` (TapeGuard does) before it ends.
inline Tape& thread_tape() {
  constinit thread_local Tape tape;
  return tape;
}
inline void release_thread_tape() { thread_tape().release(); }

// Releases the calling thread's tape memory at scope exit.
struct TapeGuard {
  TapeGuard() = default;
  TapeGuard(const TapeGuard&) = delete;
  TapeGuard& operator=(const TapeGuard&) = delete;
  ~TapeGuard() { release_thread_tape(); }
};

// An active scalar: its value and its node on the calling thread's tape (0 = a constant).
struct Var {
  double v = 0.0;
  Index i = 0;

  Var() = default;
  Var(double x) : v(x), i(0) {}  // NOLINT: implicit, constants mix freely with active values
  CANVEG_AD_INLINE Var(double x, Index id) : v(x), i(id) {}

  // A new independent variable on the calling thread's tape.
  static Var leaf(double x) { return Var(x, thread_tape().leaf()); }
  bool active() const { return i != 0; }

  Var& operator+=(const Var& o);
  Var& operator-=(const Var& o);
  Var& operator*=(const Var& o);
  Var& operator/=(const Var& o);
};

namespace detail {
CANVEG_AD_INLINE Var unary(double value, const Var& x, double dx) {
  if (!x.i) return Var(value);
  return Var(value, thread_tape().push(x.i, dx, 0, 0.0));
}
CANVEG_AD_INLINE Var binary(double value, const Var& x, double dx, const Var& y, double dy) {
  if (!(x.i | y.i)) return Var(value);
  return Var(value, thread_tape().push(x.i, dx, y.i, dy));
}
}  // namespace detail

CANVEG_AD_INLINE double value_of(const Var& x) { return x.v; }

// Arithmetic.
CANVEG_AD_INLINE Var operator+(const Var& x) { return x; }
CANVEG_AD_INLINE Var operator-(const Var& x) { return detail::unary(-x.v, x, -1.0); }
CANVEG_AD_INLINE Var operator+(const Var& x, const Var& y) { return detail::binary(x.v + y.v, x, 1.0, y, 1.0); }
CANVEG_AD_INLINE Var operator+(const Var& x, double y) { return detail::unary(x.v + y, x, 1.0); }
CANVEG_AD_INLINE Var operator+(double x, const Var& y) { return detail::unary(x + y.v, y, 1.0); }
CANVEG_AD_INLINE Var operator-(const Var& x, const Var& y) { return detail::binary(x.v - y.v, x, 1.0, y, -1.0); }
CANVEG_AD_INLINE Var operator-(const Var& x, double y) { return detail::unary(x.v - y, x, 1.0); }
CANVEG_AD_INLINE Var operator-(double x, const Var& y) { return detail::unary(x - y.v, y, -1.0); }
CANVEG_AD_INLINE Var operator*(const Var& x, const Var& y) { return detail::binary(x.v * y.v, x, y.v, y, x.v); }
CANVEG_AD_INLINE Var operator*(const Var& x, double y) { return detail::unary(x.v * y, x, y); }
CANVEG_AD_INLINE Var operator*(double x, const Var& y) { return detail::unary(x * y.v, y, x); }
CANVEG_AD_INLINE Var operator/(const Var& x, const Var& y) {
  const double r = 1.0 / y.v;
  const double q = x.v / y.v;
  return detail::binary(q, x, r, y, -q * r);
}
CANVEG_AD_INLINE Var operator/(const Var& x, double y) { return detail::unary(x.v / y, x, 1.0 / y); }
CANVEG_AD_INLINE Var operator/(double x, const Var& y) {
  const double q = x / y.v;
  return detail::unary(q, y, -q / y.v);
}

inline Var& Var::operator+=(const Var& o) { return *this = *this + o; }
inline Var& Var::operator-=(const Var& o) { return *this = *this - o; }
inline Var& Var::operator*=(const Var& o) { return *this = *this * o; }
inline Var& Var::operator/=(const Var& o) { return *this = *this / o; }

// Comparisons act on values.
#define CANVEG_AD_COMPARE(op)                                                              \
  CANVEG_AD_INLINE bool operator op(const Var& x, const Var& y) { return x.v op y.v; }     \
  CANVEG_AD_INLINE bool operator op(const Var& x, double y) { return x.v op y; }           \
  CANVEG_AD_INLINE bool operator op(double x, const Var& y) { return x op y.v; }
CANVEG_AD_COMPARE(<)
CANVEG_AD_COMPARE(<=)
CANVEG_AD_COMPARE(>)
CANVEG_AD_COMPARE(>=)
CANVEG_AD_COMPARE(==)
CANVEG_AD_COMPARE(!=)
#undef CANVEG_AD_COMPARE

// Elementary functions. Derivatives at points where the function is not differentiable follow
// the limits documented in docs/gradients.md ("Guards").
CANVEG_AD_INLINE Var exp(const Var& x) {
  const double e = std::exp(x.v);
  return detail::unary(e, x, e);
}
CANVEG_AD_INLINE Var log(const Var& x) { return detail::unary(std::log(x.v), x, 1.0 / x.v); }
CANVEG_AD_INLINE Var sqrt(const Var& x) {
  const double s = std::sqrt(x.v);
  return detail::unary(s, x, 0.5 / s);
}
CANVEG_AD_INLINE Var cos(const Var& x) { return detail::unary(std::cos(x.v), x, -std::sin(x.v)); }
CANVEG_AD_INLINE Var sin(const Var& x) { return detail::unary(std::sin(x.v), x, std::cos(x.v)); }
CANVEG_AD_INLINE Var tan(const Var& x) {
  const double t = std::tan(x.v);
  return detail::unary(t, x, 1.0 + t * t);
}
CANVEG_AD_INLINE Var acos(const Var& x) { return detail::unary(std::acos(x.v), x, -1.0 / std::sqrt(1.0 - x.v * x.v)); }
CANVEG_AD_INLINE Var asin(const Var& x) { return detail::unary(std::asin(x.v), x, 1.0 / std::sqrt(1.0 - x.v * x.v)); }
CANVEG_AD_INLINE Var tanh(const Var& x) {
  const double t = std::tanh(x.v);
  return detail::unary(t, x, 1.0 - t * t);
}
CANVEG_AD_INLINE Var abs(const Var& x) { return detail::unary(std::abs(x.v), x, x.v < 0 ? -1.0 : 1.0); }
CANVEG_AD_INLINE Var fabs(const Var& x) { return abs(x); }

// x^y with a constant exponent: d/dx = y x^(y-1).
CANVEG_AD_INLINE Var pow(const Var& x, double y) {
  const double p = std::pow(x.v, y);
  if (!x.i) return Var(p);
  return detail::unary(p, x, y * std::pow(x.v, y - 1.0));
}
// b^y with a constant base: d/dy = b^y ln b, taken as 0 where b^y = 0 (b = 0, y > 0: the limit
// of x^y ln x), so a zero soil moisture gives a finite exponent derivative (docs/gradients.md).
CANVEG_AD_INLINE Var pow(double b, const Var& y) {
  const double p = std::pow(b, y.v);
  if (!y.i) return Var(p);
  return detail::unary(p, y, p == 0.0 ? 0.0 : p * std::log(b));
}
CANVEG_AD_INLINE Var pow(const Var& x, const Var& y) {
  if (!y.i) return pow(x, y.v);
  if (!x.i) return pow(x.v, y);
  const double p = std::pow(x.v, y.v);
  return detail::binary(p, x, y.v * std::pow(x.v, y.v - 1.0), y, p == 0.0 ? 0.0 : p * std::log(x.v));
}

}  // namespace canveg::ad
