#pragma once
// An associative-processor program for one layer of a ternary network, as the compiler
// (compiler.hpp) lays it out: what each row of the CAM stands for, which columns hold which
// field, and the steps that compute the layer in every row at once.
//
// Rows are (image, output position) pairs: a convolution's positions lie along the rows, so
// every step works on all positions of all images of a batch together (word parallelism).
// A row's input fields are gathered from the previous layer's outputs (data moved between
// arrays, counted); pooled inputs are gathered as their window and reduced in place by max.
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/ap/arithmetic.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::ap {

enum class StepKind : std::uint8_t {
  gather,      // dst <- an input of the row's receptive field (channel, dr, dc): data moved in
  clear,       // dst = 0
  set,         // set_bits written into every row (weights stored, when constants are not folded)
  copy,        // dst = src
  add,         // dst += src
  subtract,    // dst -= src
  requantize,  // dst = level of src against thresholds
  max,         // dst = max(dst, src)
  argmax,      // dst = index of the largest of values; aux holds the best value
};

struct Step {
  StepKind kind = StepKind::clear;
  Field dst{}, src{};
  Field aux{};                            // argmax: the best value's field
  std::vector<Field> values{};            // argmax
  std::vector<std::int64_t> thresholds{}; // requantize
  bool rising = true;                     // requantize
  std::vector<ColumnBit> condition{};     // add / subtract only in the rows matching it
  std::vector<ColumnBit> set_bits{};      // set
  // gather: the input channel and the offset from the row's output position (in input
  // pixels, after the layer's pooling of its input: dr, dc of the pooled grid; pool_r, pool_c
  // the cell of the pooling window).
  int channel = 0, dr = 0, dc = 0, pool_r = 0, pool_c = 0;
};

// The program of one convolution or dense layer (with the max pool before it, if any).
struct LayerProgram {
  int layer = 0;                 // index into Network::layers of the conv / dense layer
  ternary::Shape input;          // of the layer's input before pooling
  int pool = 1;                  // the max pool applied to the input first (1: none)
  ternary::Shape output;         // of the layer (positions = rows per image)
  bool pixels = false;           // the input is the image: gathered pixels are requantized here
  std::uint32_t columns = 0;     // of the CAM
  std::uint32_t carry = 0, greater = 0, equal = 0;  // scratch columns
  std::vector<Step> steps;
  std::vector<Field> outputs;    // per output channel: levels, or the logits of the last layer
  Field prediction{};            // the last layer: the argmax index field
  std::size_t rows_per_image() const { return static_cast<std::size_t>(output.rows) * output.cols; }
};

struct CompileOptions {
  bool fold_constants = true;  // weights as the program (else stored and applied by condition)
  bool cse = true;             // shared partial sums computed once
  bool rtm_layout = true;      // fields bit-sliced across racetrack tracks
  std::uint32_t domains_per_track = 64;  // RTM geometry the layout is made for (RTSim: 64)
};

// What the passes did, for the report (passes = compare/write pairs).
struct CompileStats {
  std::uint64_t terms = 0;             // non-zero weights used (adds/subtracts before CSE)
  std::uint64_t add_steps = 0;         // add/subtract steps in the program
  std::uint64_t cse_temporaries = 0;   // shared partial sums
  std::uint64_t passes = 0;            // of all steps but gathers
  std::uint64_t arithmetic_passes = 0; // of the sums' steps: add, subtract, copy, clear, set
  std::uint64_t add_subtract_passes = 0;  // of add and subtract steps alone
};

struct CompiledNetwork {
  std::vector<LayerProgram> layers;
  CompileStats stats;
};

// The passes one step takes (0 for a gather, which is data movement).
std::uint64_t step_passes(const Step& step);

}  // namespace mbi::ap
